"""The SSE routes' fast path: GET /api/rooms/{room}/events and GET /api/events served by a pure ASGI
app in front of FastAPI, with the same answers as the routes in events.py.

An open stream lasts while its client stays; under the router each kept about 25 suspended frames
(Starlette's exception middleware, FastAPI's exit-stack middleware, the router, the route, the
dependency machinery), three AsyncExitStacks, its Request and a copy of the app state. Here a
stream holds this layer's frame and the stream's own (sse.serve_events), and the request state
(the app's shared objects) is read, then dropped from the scope. ChatApp hands it these
requests before its middleware stack, so it does itself what the middlewares do for a stream
(the request id and log line, the security headers, being known to the drain); it takes no
request with a body (the body limit's) and leaves the rest to Starlette's error middleware's
equal, the server's own 500. The routes in events.py stay registered (the OpenAPI document, HEAD,
a GET with a body) and share its parsing; tests/transport/test_stream_routes.py compares the two.

Errors are answered here as FastAPI's exception handlers would (errors.py), in the order its
dependencies would raise them: the room name, the token, the query, the cursor, the quota, then
what opening the stream finds (the session, access, Redis).
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from starlette.datastructures import QueryParams
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api.config import Settings
from api.domain.errors import Code, DomainError
from api.domain.identity import Identity, TokenSigner
from api.domain.messages import check_room
from api.transport.client import address_of
from api.transport.deps import token_identity
from api.transport.errors import error_response, redis_response
from api.transport.events import room_start, rooms_starts
from api.transport.fast_route import FastRoute
from api.transport.headers import with_headers
from api.transport.sse import RAW_HEADERS, Answer, Encoder, multi_room, serve_events, single_room
from api.wire.ids import StreamKey

ROOM_PREFIX = "/api/rooms/"
ROOM_SUFFIX = "/events"
MANY_ROOMS = "/api/events"
LAST_EVENT_ID = b"last-event-id"


def is_stream(scope: Scope) -> bool:
    """Whether this layer answers the request: a GET of an SSE route, with the app's state, and
    no request body (one is left to the body limit and the routes)."""
    if _route(scope) is None or "state" not in scope:
        return False
    return not any(name == b"content-length" or name == b"transfer-encoding" for name, _ in scope["headers"])


class StreamRoutes(FastRoute):
    """An ASGI app for the requests `is_stream` takes, doing itself what the middlewares a stream
    needs do (one frame instead of one each, and no `send` wrappers: fast_route.py)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token, started, task, extra = self.begin(scope)
        answer = Answer(with_headers(RAW_HEADERS, extra))
        try:
            # The request state is a copy of the lifespan's dict per request: take what a stream
            # needs, and keep no copy for its life.
            state: dict[str, Any] = scope.pop("state")
            settings: Settings = state["settings"]
            metrics = state["metrics"]
            quota = state["quota"]
            try:
                rooms, who, starts, encode = _parse(scope, state["signer"], settings)
                address = address_of(scope, settings.trust_proxy)
                quota.take(address)
            except DomainError as exc:
                await _error(error_response(exc), extra, answer, scope, receive, send)
                return
            try:
                opening = state["streams"].open(rooms, who, starts)
                del state
                await serve_events(
                    scope,
                    receive,
                    send,
                    opening,
                    encode,
                    settings.sse_retry_ms,
                    settings.sse_max_seconds,
                    metrics,
                    answer,
                )
            except DomainError as exc:
                await _error(error_response(exc), extra, answer, scope, receive, send)
            except RedisError as exc:
                await _error(redis_response(exc, metrics), extra, answer, scope, receive, send)
            finally:
                quota.release(address)
        except BaseException:
            answer.status = answer.status or 500
            raise
        finally:
            self.end(scope, answer.status, token, started, task)


async def _error(
    response: Response, extra: list[tuple[bytes, bytes]], answer: Answer, scope: Scope, receive: Receive, send: Send
) -> None:
    """An error answer, with the headers the middlewares would add (the request id last)."""
    response.raw_headers = with_headers(response.raw_headers, extra[:-1]) + extra[-1:]
    answer.status = response.status_code
    await response(scope, receive, send)


def _route(scope: Scope) -> str | None:
    """The room of a GET of one room's stream, "" for the multi-room stream, else None."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    if path == MANY_ROOMS:
        return ""
    if path.startswith(ROOM_PREFIX) and path.endswith(ROOM_SUFFIX):
        room = path[len(ROOM_PREFIX) : -len(ROOM_SUFFIX)]
        if room and "/" not in room:
            return room
    return None


def _parse(
    scope: Scope, signer: TokenSigner, settings: Settings
) -> tuple[tuple[str, ...], Identity | None, dict[str, StreamKey | None], Encoder]:
    """The rooms, the reader, where each room starts, and the frames' encoder; DomainError as the
    route's dependencies and body would raise it, in their order."""
    room = _route(scope)
    if room:
        room = check_room(room)
    who = token_identity(HTTPConnection(scope), signer, allow_cookie=True)
    query = QueryParams(scope["query_string"])
    raw = _header(scope, LAST_EVENT_ID) or query.get("last_event_id")
    if room:
        return (room,), who, room_start(room, raw), single_room
    rooms_param = query.get("rooms")
    if rooms_param is None:
        raise DomainError(Code.INVALID_REQUEST, "query.rooms: Field required")
    names, starts = rooms_starts(rooms_param, raw, settings.stream_rooms_max)
    return names, who, starts, multi_room


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
