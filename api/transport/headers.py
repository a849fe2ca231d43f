"""Security headers on every HTTP answer: what the page may load and connect to, who may frame it,
no MIME sniffing, no referrer.

The browser app (every path outside /api/) runs under `page_policy`: scripts, styles and images
from its own origin only, no inline script, style or event handler, no plugins, connections
(fetch, EventSource, WebSocket) to its own origin only, never framed. API answers (JSON, SSE)
are never meant to be rendered, so their policy allows nothing. A response that sets its own
Content-Security-Policy keeps it (file downloads carry a sandboxing one).

On Vercel the CDN serves public/ without the app: vercel.json sends the same headers there
(`page_headers()`), and tests/test_deploy.py keeps the two equal.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.transport.client import is_https

# Where the page may load images from: its own origin, and previews of files being attached
# (blob:). With an S3 store (FILES_URL=s3://...), /api/files/{id} redirects to the bucket, and
# large files are posted straight to it: the app adds the store's origin to img-src and
# connect-src; on Vercel, add it to vercel.json too.
IMAGE_SOURCES: tuple[str, ...] = ("'self'", "blob:")

# Browsers that predate CSP3 (Safari before 16) do not count ws: and wss: of the page's own
# host as 'self'; the app names it. Vercel's functions take no WebSockets, so its copy needs not.
_HOST = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# The interactive API docs (Swagger UI) run inline script from a CDN: they may only not be framed.
DOCS_POLICY = "frame-ancestors 'none'"


def page_policy(websocket_origin: str | None = None, file_origin: str | None = None) -> str:
    connect = " ".join(source for source in ("'self'", websocket_origin, file_origin) if source)
    directives = {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": " ".join((*IMAGE_SOURCES, file_origin) if file_origin else IMAGE_SOURCES),
        "connect-src": connect,
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "require-trusted-types-for": "'script'",
        "trusted-types": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # frame-ancestors for browsers that predate it.
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def page_headers(websocket_origin: str | None = None, file_origin: str | None = None) -> dict[str, str]:
    """The headers of the browser app's files (without a WebSocket origin: as vercel.json has them)."""
    return {**COMMON, "Content-Security-Policy": page_policy(websocket_origin, file_origin)}


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


class SecurityHeaders:
    """Pure ASGI middleware adding the headers above to every HTTP response that lacks them."""

    def __init__(
        self, app: ASGIApp, trust_proxy: bool, docs_paths: Iterable[str] = (), file_origin: str | None = None
    ) -> None:
        self.app = app
        self.trust_proxy = trust_proxy
        self.file_origin = file_origin
        self.docs_paths = frozenset(docs_paths)
        self.api = _raw({**COMMON, "Content-Security-Policy": API_POLICY})
        self.docs = _raw({**COMMON, "Content-Security-Policy": DOCS_POLICY})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.extra_for(scope)

        # A plain function handing back the next `send`'s awaitable: no extra coroutine frame per
        # event on a stream, and the hub's eager start still gets a coroutine.
        def send_with_headers(message: Message) -> Awaitable[None]:
            if message["type"] == "http.response.start":
                message = _with_headers(message, extra)
            return send(message)

        await self.app(scope, receive, send_with_headers)

    def extra_for(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        """The headers this answer gets unless it sets them itself."""
        path: str = scope["path"]
        if path in self.docs_paths:
            return self.docs
        if path.startswith("/api/"):
            return self.api
        return _raw(page_headers(self._websocket_origin(scope), self.file_origin))

    def _websocket_origin(self, scope: Scope) -> str | None:
        host = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), "")
        if not _HOST.fullmatch(host):
            return None
        return ("wss://" if is_https(scope, self.trust_proxy) else "ws://") + host


def _with_headers(message: Message, extra: list[tuple[bytes, bytes]]) -> Message:
    return {**message, "headers": with_headers(message.get("headers", ()), extra)}


def with_headers(headers: Iterable[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` and those of `extra` they lack."""
    headers = list(headers)
    present = {bytes(name).lower() for name, _ in headers}
    headers.extend(item for item in extra if item[0] not in present)
    return headers
