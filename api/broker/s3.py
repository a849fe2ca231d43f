"""Blobs in an S3 bucket (AWS or any S3-compatible store), through obstore: an async client on
Rust's object_store, one small wheel with no other dependency (boto3 and aiobotocore weigh about
ten times more on a serverless bundle and its cold start). obstore signs GET URLs; the presigned
POST form of direct uploads (which it does not make) is signed here with SigV4's POST policy."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import obstore
from obstore.store import S3Store

from api.broker.blobs import Headers, UploadForm, check_key, s3_base
from api.broker.blobs import region as settings_region
from api.config import Settings
from api.domain.errors import Code, DomainError

logger = logging.getLogger(__name__)


def _unavailable(exc: Exception) -> DomainError:
    logger.warning("file store failed: %s: %s", type(exc).__name__, str(exc).split("\n", 1)[0][:300])
    return DomainError(Code.FILES_UNAVAILABLE, "the file store is unreachable; try again shortly", retry_after=5)


def _attributes(headers: Headers) -> Any:
    return {
        "Content-Type": headers.content_type,
        "Content-Disposition": headers.disposition,
        "Cache-Control": headers.cache_control,
    }


class S3BlobStore:
    def __init__(
        self,
        bucket: str,
        prefix: str,
        endpoint: str,
        region: str,
        access_key: str,
        secret_key: str,
        session_token: str,
        url_seconds: int,
    ) -> None:
        if not bucket:
            raise ValueError("FILES_URL=s3://BUCKET[/PREFIX] names no bucket")
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.base = s3_base(bucket, endpoint, region)
        base = urlsplit(self.base)
        self.origin: str | None = f"{base.scheme}://{base.netloc}"
        self._credentials = (access_key, secret_key, session_token)
        self._url_life = timedelta(seconds=url_seconds)
        config: dict[str, Any] = {"region": region}
        if endpoint:
            config["endpoint"] = endpoint
        else:
            config.update(endpoint=self.base, virtual_hosted_style_request=True)
        if access_key:
            config.update(access_key_id=access_key, secret_access_key=secret_key)
        if session_token:
            config["session_token"] = session_token
        self._store = S3Store(
            bucket,
            prefix=prefix or None,
            config=cast(Any, config),
            client_options={"allow_http": base.scheme == "http", "timeout": "30s", "connect_timeout": "5s"},
            retry_config={
                "max_retries": 2,
                "retry_timeout": timedelta(seconds=10),
                "backoff": {"init_backoff": timedelta(milliseconds=100)},
            },
        )

    @classmethod
    def from_settings(cls, bucket: str, prefix: str, settings: Settings) -> S3BlobStore:
        return cls(
            bucket,
            prefix,
            settings.aws_endpoint_url,
            settings_region(settings),
            settings.aws_access_key_id,
            settings.aws_secret_access_key,
            settings.aws_session_token,
            settings.files_url_seconds,
        )

    def _full_key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put(self, key: str, data: bytes, headers: Headers) -> None:
        try:
            await obstore.put_async(self._store, check_key(key), data, attributes=_attributes(headers))
        except Exception as exc:
            raise _unavailable(exc) from None

    async def delete(self, keys: list[str]) -> None:
        if not keys:
            return
        try:
            await obstore.delete_async(self._store, [check_key(key) for key in keys])
        except FileNotFoundError:
            pass
        except Exception as exc:
            raise _unavailable(exc) from None

    async def size(self, key: str) -> int | None:
        try:
            return int((await obstore.head_async(self._store, check_key(key)))["size"])
        except FileNotFoundError:
            return None
        except Exception as exc:
            raise _unavailable(exc) from None

    async def head(self, key: str, count: int) -> bytes:
        try:
            return bytes(await obstore.get_range_async(self._store, check_key(key), start=0, length=count))
        except Exception as exc:
            raise _unavailable(exc) from None

    async def read(self, key: str) -> bytes:
        try:
            result = await obstore.get_async(self._store, check_key(key))
            return bytes(await result.bytes_async())
        except FileNotFoundError:
            raise DomainError(Code.NO_SUCH_FILE, "the file's bytes are gone") from None
        except Exception as exc:
            raise _unavailable(exc) from None

    async def locate(self, key: str, headers: Headers) -> Path | str:
        try:
            return await obstore.sign_async(self._store, "GET", check_key(key), self._url_life)
        except Exception as exc:
            raise _unavailable(exc) from None

    async def upload_form(self, key: str, max_bytes: int, headers: Headers) -> UploadForm | None:
        access, secret, token = self._credentials
        if not access or not secret:
            return None  # credentials from a provider chain: nothing to sign a form with here
        now = datetime.now(UTC)
        fields = {
            "key": self._full_key(check_key(key)),
            "Content-Type": headers.content_type,
            "Content-Disposition": headers.disposition,
            "Cache-Control": headers.cache_control,
        }
        fields.update(
            post_policy_fields(fields, self.bucket, max_bytes, now, self._url_life, self.region, access, secret, token)
        )
        return UploadForm(self.base, fields)

    async def aclose(self) -> None:
        return None


def post_policy_fields(
    fields: dict[str, str],
    bucket: str,
    max_bytes: int,
    now: datetime,
    life: timedelta,
    region: str,
    access_key: str,
    secret_key: str,
    session_token: str = "",
) -> dict[str, str]:
    """The signed fields of an S3 POST upload (SigV4) allowing exactly `fields` and a body of
    1 to `max_bytes` bytes into `bucket` until `now + life`."""
    day = now.strftime("%Y%m%d")
    scope = f"{day}/{region}/s3/aws4_request"
    signed = {
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": f"{access_key}/{scope}",
        "x-amz-date": now.strftime("%Y%m%dT%H%M%SZ"),
    }
    if session_token:
        signed["x-amz-security-token"] = session_token
    conditions: list[object] = [{"bucket": bucket}, ["content-length-range", 1, max_bytes]]
    conditions += [{name: value} for name, value in {**fields, **signed}.items()]
    policy = {"expiration": (now + life).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "conditions": conditions}
    encoded = base64.b64encode(json.dumps(policy, separators=(",", ":")).encode()).decode()
    key = f"AWS4{secret_key}".encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, encoded.encode(), hashlib.sha256).hexdigest()
    return {**signed, "policy": encoded, "x-amz-signature": signature}
