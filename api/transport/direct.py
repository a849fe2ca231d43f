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

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

SERVER_SEND = "chat.server_send"
UVICORN_HTTPTOOLS = "uvicorn.protocols.http.httptools_impl"


class ChatApp(FastAPI):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[SERVER_SEND] = send
        await super().__call__(scope, receive, send)


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
    transport, flow = cycle.transport, cycle.flow

    def write(body: bytes) -> Awaitable[None] | None:
        if flow.write_paused or cycle.disconnected or cycle.response_complete or not body:
            return through_send(body)
        transport.write(b"%x\r\n%b\r\n" % (len(body), body))
        return None

    return write
