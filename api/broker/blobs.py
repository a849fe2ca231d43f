"""Where file bytes live: a folder (file://, the local default) or an S3 bucket (s3://, see s3.py),
behind one small interface. Redis holds only the files' metadata."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from api.config import ON_LAMBDA, ON_VERCEL, Settings
from api.domain.errors import Code, DomainError

logger = logging.getLogger(__name__)

_SAFE_KEY = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


@dataclass(frozen=True)
class Headers:
    """What the bytes are served with."""

    content_type: str
    disposition: str
    cache_control: str


@dataclass(frozen=True)
class UploadForm:
    """A presigned POST: the browser posts `fields` and then the file to `url`."""

    url: str
    fields: dict[str, str]


class BlobStore(Protocol):
    # The origin the browser loads files from (and posts direct uploads to), when not the app's.
    origin: str | None

    async def put(self, key: str, data: bytes, headers: Headers) -> None: ...

    async def delete(self, keys: list[str]) -> None:
        """Deletes what exists of `keys`."""

    async def size(self, key: str) -> int | None: ...

    async def head(self, key: str, count: int) -> bytes:
        """The first `count` bytes (fewer if the blob is shorter)."""

    async def read(self, key: str) -> bytes: ...

    async def locate(self, key: str, headers: Headers) -> Path | str:
        """A local path to serve, or a short-lived signed URL to redirect to."""

    async def upload_form(self, key: str, max_bytes: int, headers: Headers) -> UploadForm | None:
        """A presigned POST for a direct upload, or None where the store has none."""

    async def aclose(self) -> None: ...


def check_key(key: str) -> str:
    # Keys are made by the app from file ids; anything else would be a bug, never a path.
    if not key or key.startswith(".") or not set(key) <= _SAFE_KEY:
        raise ValueError(f"not a blob key: {key!r}")
    return key


class FileBlobStore:
    """Blobs as files in one folder, written whole (a temporary file renamed into place)."""

    origin: str | None = None

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, headers: Headers) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        partial.write_bytes(data)
        os.replace(partial, path)

    async def delete(self, keys: list[str]) -> None:
        for key in keys:
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(self._path(key).unlink)

    async def size(self, key: str) -> int | None:
        try:
            return (await asyncio.to_thread(self._path(key).stat)).st_size
        except FileNotFoundError:
            return None

    async def head(self, key: str, count: int) -> bytes:
        return (await self.read(key))[:count]

    async def read(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise DomainError(Code.NO_SUCH_FILE, "the file's bytes are gone") from None

    async def locate(self, key: str, headers: Headers) -> Path | str:
        return self._path(key)

    async def upload_form(self, key: str, max_bytes: int, headers: Headers) -> UploadForm | None:
        return None

    async def aclose(self) -> None:
        return None


class Unconfigured(FileBlobStore):
    """On Vercel and Lambda a folder is no store (each instance has its own, wiped at will):
    every use says what to set instead."""

    def __init__(self) -> None:
        super().__init__(Path("/nonexistent"))

    def _path(self, key: str) -> Path:
        platform = "Vercel" if ON_VERCEL else "AWS Lambda"
        raise DomainError(
            Code.FILES_NOT_CONFIGURED,
            f"file sharing needs an S3 store on {platform}: set FILES_URL=s3://BUCKET[/PREFIX] with "
            "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION (and AWS_ENDPOINT_URL for an "
            "S3-compatible store other than AWS)",
        )


def s3_base(bucket: str, endpoint: str, region: str) -> str:
    """The bucket's URL: a custom endpoint addressed by path (http://host:port/BUCKET), as
    S3-compatible stores expect; AWS itself by the bucket's own host name."""
    return endpoint.rstrip("/") + "/" + bucket if endpoint else f"https://{bucket}.s3.{region}.amazonaws.com"


def region(settings: Settings) -> str:
    return settings.aws_region or settings.aws_default_region or "us-east-1"


def store_origin(settings: Settings) -> str | None:
    """The origin the browser loads files from when it is not the app's: the S3 store's."""
    url = urlsplit(settings.files_url)
    if url.scheme != "s3":
        return None
    base = urlsplit(s3_base(url.netloc, settings.aws_endpoint_url, region(settings)))
    return f"{base.scheme}://{base.netloc}"


def open_blob_store(settings: Settings) -> BlobStore:
    """The store FILES_URL names."""
    url = urlsplit(settings.files_url)
    if url.scheme == "s3":
        from api.broker.s3 import S3BlobStore  # imported only where used: it loads a native library

        return S3BlobStore.from_settings(url.netloc, unquote(url.path).strip("/"), settings)
    if url.scheme != "file":
        raise ValueError(f"FILES_URL must be file://PATH or s3://BUCKET[/PREFIX], not {settings.files_url!r}")
    if ON_VERCEL or ON_LAMBDA:
        logger.warning("FILES_URL is a folder on a serverless host: uploads answer 503 until it names an S3 store")
        return Unconfigured()
    return FileBlobStore(Path(unquote(url.netloc + url.path)))
