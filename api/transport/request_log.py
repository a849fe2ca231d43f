"""One log line per request (WebSockets included), under a request id.

The id is the client's `X-Request-ID` when it looks like one (a proxy's or a load balancer's),
else a new one; every line logged while the request runs carries it, and the answer returns it
(the WebSocket handshake too). The line tells the method, the path with only the query values
known to hold nothing secret, the status (a WebSocket: 101 and its close code), the duration and
the client's address (from X-Forwarded-For only with TRUST_PROXY); a stream's line comes when it
ends. Pure ASGI: the `send` it wraps is a plain function that hands
back the inner send's awaitable, so each event a stream writes costs one call here, no coroutine.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Awaitable
from urllib.parse import parse_qsl, quote, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability.logs import REDACTED, REQUEST_ID, fields
from api.transport.client import address_of

logger = logging.getLogger("api.access")

HEADER = b"x-request-id"
SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,63}")  # a UUID, a trace id; not a token (too long)
# Query parameters whose values are logged; any other's value is not (it might be a credential).
PLAIN_QUERY = frozenset({"rooms", "last_event_id", "before", "after", "limit", "wait"})
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == HEADER:
            taken = str(value.decode("latin-1")).strip()
            if SANE_ID.fullmatch(taken):
                return taken
            break
    # Unique, not secret: the process's seeded generator, no system call per request.
    return f"{random.getrandbits(64):016x}"


def where(scope: Scope) -> str:
    """The path, re-quoted (no control characters reach a log), and the query's plain values."""
    path = quote(scope["path"], safe=_PATH_SAFE)
    raw = scope.get("query_string", b"").decode("latin-1")
    if not raw:
        return path
    pairs = [(k, v if k in PLAIN_QUERY else REDACTED) for k, v in parse_qsl(raw, keep_blank_values=True)]
    return path + "?" + urlencode(pairs, safe=",:[]")


class RequestLog:
    def __init__(self, app: ASGIApp, trust_proxy: bool) -> None:
        self.app = app
        self.trust_proxy = trust_proxy  # the client's address as the limits see it (client.py)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        token = REQUEST_ID.set(rid)
        header = (HEADER, rid.encode())
        started = time.perf_counter()
        status = 0
        close: int | None = None

        def tagged(message: Message) -> Awaitable[None]:
            nonlocal status, close
            if status and kind == "http":
                return send(message)  # the body of an answer: each event of a stream
            what = message["type"]
            if what == "http.response.start" or what == "websocket.http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), header]}
            elif what == "websocket.accept":
                status = 101
                message = {**message, "headers": [*message.get("headers", ()), header]}
            elif what == "websocket.close":
                status = status or 403  # closed before it was accepted: the handshake is refused
                close = message.get("code", 1000)
            return send(message)

        try:
            await self.app(scope, receive, tagged)
        except BaseException:
            status = status or 500
            raise
        finally:
            log_request(scope, kind, status, close, started, self.trust_proxy)
            REQUEST_ID.reset(token)


def log_request(scope: Scope, kind: str, status: int, close: int | None, started: float, trust_proxy: bool) -> None:
    """The request's line: `status` 0 is an answer never started (500; a WebSocket: 403)."""
    level = logging.WARNING if status >= 500 else logging.INFO
    if not logger.isEnabledFor(level):
        return  # not built at all: once per request, sends included
    ms = round((time.perf_counter() - started) * 1000, 1)
    client = address_of(scope, trust_proxy)
    if kind == "http":
        line = fields(method=scope["method"], path=where(scope), status=status or 500, duration_ms=ms, client=client)
    else:
        line = fields(method="WS", path=where(scope), status=status or 403, close=close, duration_ms=ms, client=client)
    logger.log(level, "request", extra=line)
