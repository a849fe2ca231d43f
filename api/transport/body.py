"""Request bodies: every one capped before any route parses it; a message's read within its own
limit, then parsed by its content type."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.domain.errors import Code, DomainError
from api.transport.errors import error_body

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
        except RecursionError:
            raise DomainError(Code.INVALID_JSON, "request body is JSON nested too deeply") from None
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


# A path pattern (POST), its own body limit, and the error code and message past it.
Larger = tuple[re.Pattern[str], int, Code, str]


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` is answered 413 before the app sees it,
    refused on its declared Content-Length or as soon as the bytes read pass the limit (a chunked
    body has no length). A body within the limit is handed on whole, once read. `larger` gives
    some POST paths (uploads) their own limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: Sequence[Larger] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = tuple(larger)

    def _limit(self, scope: Scope) -> tuple[int, Code, str]:
        if scope.get("method") == "POST":
            for pattern, limit, code, message in self.larger:
                if pattern.fullmatch(scope["path"]):
                    return limit, code, message
        return self.max_bytes, Code.BODY_TOO_LARGE, f"request body is over {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        if headers is None or ("content-length" not in headers and "transfer-encoding" not in headers):
            await self.app(scope, receive, send)  # no body (streams, GETs): nothing to hold
            return
        limit, code, refusal = self._limit(scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, code, refusal)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before it finished sending
            body += message.get("body", b"")
            if len(body) > limit:
                await self._refuse(scope, receive, send, code, refusal)
                return
            if not message.get("more_body", False):
                break
        whole: Message | None = {"type": "http.request", "body": bytes(body), "more_body": False}

        async def replay() -> Message:
            nonlocal whole
            if whole is None:
                return await receive()  # after the body: the disconnect, when it comes
            message, whole = whole, None
            return message

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, code: Code, message: str) -> None:
        error = error_body(code, message)
        # The rest of the body is never read: the connection cannot carry another request.
        await JSONResponse(error, status_code=413, headers={"Connection": "close"})(scope, receive, send)
