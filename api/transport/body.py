"""Request bodies: read within a byte limit, then parsed by their content type."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from starlette.requests import Request

from api.domain.errors import Code, DomainError

JSON_TYPES = ("application/json",)
TEXT_TYPES = ("text/plain", "application/x-www-form-urlencoded")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise DomainError(Code.BODY_TOO_LARGE, f"request body is over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise DomainError(Code.BODY_TOO_LARGE, f"request body is over {limit} bytes")
    return bytes(body)


def parse_message(content_type: str, body: bytes) -> dict[str, object]:
    """A message body: a JSON object, a `text=` form, or the raw text itself (curl -d)."""
    media = content_type.split(";", 1)[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError(Code.INVALID_ENCODING, "request body is not valid UTF-8") from None
    if media in JSON_TYPES or media.endswith("+json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DomainError(Code.INVALID_JSON, f"request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise DomainError(Code.INVALID_REQUEST, 'body must be a JSON object like {"text": "hi"}')
        return data
    if media == "application/x-www-form-urlencoded" and text.startswith("text="):
        form = parse_qs(text)
        return {key: values[0] for key, values in form.items()}
    if media in TEXT_TYPES or not media:
        # curl -d sends the raw text as a form body; take it as the message itself.
        return {"text": text}
    raise DomainError(Code.UNSUPPORTED_MEDIA_TYPE, f"send application/json or text/plain, not {media}")
