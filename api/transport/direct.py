"""The ASGI server's own `send`, for the body of event streams.

Every middleware between the server and a route wraps `send`, and Starlette's two (the error and
the exception middleware) wrap it in a coroutine of their own: on a stream that is two coroutines
and four calls for each event a client is sent, a third of its Python time. None of them looks at
a body chunk once the response has started (they record the start: status, headers, the request
log's line), so a stream sends its start through the whole chain and then writes its events with
the server's `send`, kept in the scope by the app itself, the outermost layer. A middleware that
rewrote bodies (compression) would have to skip `text/event-stream` answers anyway.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SERVER_SEND = "chat.server_send"
UVICORN_HTTPTOOLS = "uvicorn.protocols.http.httptools_impl"


class ChatApp(FastAPI):
    # Requests a fast route's match takes go to its app instead of the whole stack (create_app
    # builds them with the middlewares they need): Starlette's and FastAPI's layers cost frames an
    # open stream keeps for its life, and CPU a send pays once per message.
    fast_routes: tuple[tuple[Callable[[Scope], bool], ASGIApp], ...] = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[SERVER_SEND] = send
            if scope["method"] == "HEAD" and not _streams(scope["path"]):
                # FastAPI's routes answer GET only: HEAD (curl -I, uptime checks) gets a GET's
                # answer without its body. Not for a stream, which never ends.
                scope, send = {**scope, "method": "GET"}, _without_body(send)
            for match, app in self.fast_routes:
                if match(scope):
                    await app(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)


def _streams(path: str) -> bool:
    return path.endswith("/events") or path.endswith("/ws")


def _without_body(send: Send) -> Send:
    async def headers_only(message: Message) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            message = {**message, "body": b""}
        await send(message)

    return headers_only


def server_send(scope: Scope, fallback: Send) -> Send:
    """The server's `send` for a response's body, once its start went through `fallback`."""
    found: Send | None = scope.get(SERVER_SEND)
    return found if found is not None else fallback


Writer = Callable[[bytes], Awaitable[None] | None]


def body_writer(scope: Scope, started: Send) -> Writer:
    """Writes a chunk of a response whose start went through `started`; None when written at once.

    Under uvicorn's httptools protocol a chunk that can be written now goes straight to the
    socket, framed as uvicorn frames it: no message, no coroutine, nothing to schedule. Whenever
    uvicorn would do more than that (its socket's buffer full, the client gone, the response
    over, no chunked framing) and under any other server, the chunk goes through `send`.
    """
    send = server_send(scope, started)

    def through_send(body: bytes) -> Awaitable[None]:
        return send({"type": "http.response.body", "body": body, "more_body": True})

    cycle: Any = getattr(send, "__self__", None)
    if type(cycle).__module__ != UVICORN_HTTPTOOLS or getattr(cycle, "chunked_encoding", None) is not True:
        return through_send
    return DirectWriter(cycle, through_send)


class DirectWriter:
    """`body_writer`'s writer under uvicorn's httptools protocol; its `transport` is the socket's,
    which a room's lane writes chunks to (framed by `chunk`) while the client keeps up."""

    __slots__ = ("_cycle", "_flow", "_send", "transport")

    def __init__(self, cycle: Any, send: Callable[[bytes], Awaitable[None]]) -> None:
        self._cycle = cycle
        self._flow = cycle.flow
        self._send = send
        self.transport: asyncio.WriteTransport = cycle.transport

    def __call__(self, body: bytes) -> Awaitable[None] | None:
        cycle = self._cycle
        if self._flow.write_paused or cycle.disconnected or cycle.response_complete or not body:
            return self._send(body)
        self.transport.write(_LAST.frame(body))
        return None


def chunk(body: bytes) -> bytes:
    """`body` framed as a chunk of a chunked response, as uvicorn frames it."""
    return _LAST.frame(body)


class _Chunk:
    """The chunked framing of the last body written: a fan-out writes one event's bytes (the same
    object) to every client in turn, so it is framed once per event, not once per client."""

    __slots__ = ("_body", "_framed")

    def __init__(self) -> None:
        self._body = b""
        self._framed = b""

    def frame(self, body: bytes) -> bytes:
        if body is not self._body:
            self._framed = b"%x\r\n%b\r\n" % (len(body), body)
            self._body = body
        return self._framed


_LAST = _Chunk()


class _Hangup:
    """Stands in for uvicorn's `message_event` of a stream's cycle: nobody awaits it once the
    stream stopped calling `receive`, and the protocol sets it when the connection is lost (also
    when a body arrives or the response completes: then the cycle is not `disconnected`)."""

    __slots__ = ("_cycle", "_hangup")

    def __init__(self, cycle: Any, hangup: Callable[[], None]) -> None:
        self._cycle = cycle
        self._hangup = hangup

    def set(self) -> None:
        if self._cycle.disconnected:
            self._hangup()

    def clear(self) -> None:
        pass

    def is_set(self) -> bool:
        return bool(self._cycle.disconnected)


class _Writable:
    """Stands in for the asyncio.Event of uvicorn's flow control (set while the socket takes
    writes): the same methods, without the 760-byte deque an Event holds even with no waiter."""

    __slots__ = ("_value", "_waiters")

    def __init__(self, value: bool) -> None:
        self._value = value
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        if self._value:
            return
        self._value = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> bool:
        if self._value:
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class _Pipeline(list[Any]):
    """Stands in for the protocol's deque of pipelined requests (760 bytes, empty), which it only
    `appendleft`s to, `pop`s from (the oldest) and tests for being empty."""

    __slots__ = ()

    def appendleft(self, item: Any) -> None:
        self.insert(0, item)


def on_hangup(scope: Scope, started: Send, hangup: Callable[[], None]) -> bool:
    """Calls `hangup` when the client goes away, without a task waiting on `receive`; False (and
    nothing done) when the server is not uvicorn's httptools protocol: the caller then watches
    `receive` itself. For a response that never calls `receive` again. Also swaps the flow
    control's Event and the protocol's pipeline deque for lighter equals (an idle stream holds
    them for its life)."""
    cycle: Any = getattr(server_send(scope, started), "__self__", None)
    if type(cycle).__module__ != UVICORN_HTTPTOOLS or not hasattr(cycle, "message_event"):
        return False
    cycle.message_event = _Hangup(cycle, hangup)
    protocol: Any = getattr(cycle.on_response, "__self__", None)
    pipeline = getattr(protocol, "pipeline", None)
    if type(pipeline) is deque and not pipeline:
        protocol.pipeline = _Pipeline()
    flow = cycle.flow
    writable = getattr(flow, "_is_writable_event", None)
    if type(writable) is asyncio.Event:
        flow._is_writable_event = _Writable(writable.is_set())
    if cycle.disconnected:
        hangup()
    return True
