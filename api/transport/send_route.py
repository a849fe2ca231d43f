"""The send route's fast path: POST /api/rooms/{room}/messages as the browser app and most scripts
send it (a JSON body with its length, a Bearer token) served by a pure ASGI app in front of
FastAPI, with the same answers as the route in messages.py.

A send is the one request made once per message: the middleware stack, the router and the
dependency machinery cost it about as much CPU as its Redis script and the fan-out to 30 clients
(scripts/bench.py --peer node, the closed loop). Here it is read, checked and answered in one
coroutine that does what those layers do for it: the request id and log line (request_log.py),
the security headers (headers.py), being known to the drain (shutdown.py), the body limit
(body.py: MAX_BODY_BYTES first, Connection: close past it), then the route's own checks in its
dependencies' order (the room, the token, the message's own limit, the body). Any other shape of
send (another content type, chunked, an Idempotency-Key header) goes to the route;
tests/transport/test_send_route.py compares the two.
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from api.config import Settings
from api.domain.errors import Code, DomainError
from api.domain.messages import check_room
from api.transport.body import parse_message
from api.transport.deps import require_user, token_identity
from api.transport.errors import error_body, error_response, redis_response
from api.transport.fast_route import FastRoute
from api.transport.headers import with_headers
from api.usecases.messaging import Messaging

PREFIX = "/api/rooms/"
SUFFIX = "/messages"
JSON_TYPES = frozenset({b"application/json", b"application/json; charset=utf-8"})
_DECLINED = frozenset({b"transfer-encoding", b"idempotency-key"})


def is_send(scope: Scope) -> bool:
    """Whether this layer answers the request: a POST to a room's messages with the app's state,
    a declared length, a JSON content type and a Bearer token, and nothing else to weigh."""
    if scope["type"] != "http" or scope["method"] != "POST" or "state" not in scope or _room(scope) is None:
        return False
    length = kind = bearer = False
    for name, value in scope["headers"]:
        if name in _DECLINED:
            return False
        if name == b"content-length":
            length = value.isdigit()
        elif name == b"content-type":
            kind = value.lower() in JSON_TYPES
        elif name == b"authorization":
            bearer = value[:7].lower() == b"bearer "
    return length and kind and bearer


def _room(scope: Scope) -> str | None:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    if path.startswith(PREFIX) and path.endswith(SUFFIX):
        room = path[len(PREFIX) : -len(SUFFIX)]
        if room and "/" not in room:
            return room
    return None


class SendRoute(FastRoute):
    """An ASGI app for the requests `is_send` takes."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token, started, task, extra = self.begin(scope)
        status = 0
        try:
            state: dict[str, Any] = scope["state"]
            try:
                response = await self._send(scope, receive, state)
            except DomainError as exc:
                response = error_response(exc)
            except RedisError as exc:
                response = redis_response(exc, state["metrics"])
            if response is None:
                return  # the client left before it finished sending
            response.raw_headers = with_headers(response.raw_headers, extra[:-1]) + extra[-1:]
            status = response.status_code
            await response(scope, receive, send)
        finally:
            self.end(scope, status, token, started, task)

    async def _send(self, scope: Scope, receive: Receive, state: dict[str, Any]) -> Response | None:
        settings: Settings = state["settings"]
        limit = settings.max_body_bytes
        body = await _read(scope, receive, limit)
        if body is None:
            return None
        if isinstance(body, Response):
            return body
        room = check_room(_room(scope) or "")
        who = require_user(token_identity(HTTPConnection(scope), state["signer"], allow_cookie=False))
        own = settings.max_message_chars * 4 + 4096
        if len(body) > own:
            raise DomainError(Code.BODY_TOO_LARGE, f"request body is over {own} bytes")
        data = parse_message("application/json", body)
        messaging: Messaging = state["messaging"]
        sent = await messaging.send(
            room, who, data.get("text"), data.get("client_id"), data.get("reply_to"), data.get("files")
        )
        headers = {"Idempotent-Replayed": "true"} if sent.replayed else {}
        return Response(sent.message_json, 200 if sent.replayed else 201, headers, "application/json")


async def _read(scope: Scope, receive: Receive, limit: int) -> bytes | Response | None:
    """The body, as the body limit reads it: a 413 that closes the connection past `limit`
    (declared or read); None if the client left before it finished sending."""
    declared = next(int(value) for name, value in scope["headers"] if name == b"content-length")
    if declared > limit:
        return _too_large(limit)
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        body += message.get("body", b"")
        if len(body) > limit:
            return _too_large(limit)
        if not message.get("more_body", False):
            return bytes(body)


def _too_large(limit: int) -> Response:
    error = error_body(Code.BODY_TOO_LARGE, f"request body is over {limit} bytes")
    # The rest of the body is never read: the connection cannot carry another request.
    return JSONResponse(error, status_code=413, headers={"Connection": "close"})
