"""The direct write of stream chunks: under uvicorn's httptools protocol straight to the socket,
framed as uvicorn would; under anything else through the ASGI `send`. Real uvicorn servers on
real sockets, read by a real HTTP client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable

import httpx
import pytest
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from api.transport.direct import SERVER_SEND, ChatApp, _Chunk, body_writer
from scripts.embedded_redis import free_port

CHUNKS = [b"data: one\n\n", b"", b"data: " + b"x" * 8_000 + b"\n\n", b"data: three\n\n"]


class Streamer:
    """An ASGI app answering every request with CHUNKS, written by `body_writer`."""

    def __init__(self) -> None:
        self.direct: list[bool] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        write = body_writer(scope, send)
        for chunk in CHUNKS:
            pending: Awaitable[None] | None = write(chunk)
            self.direct.append(pending is None)
            if pending is not None:
                await pending
        await send({"type": "http.response.body", "body": b"", "more_body": False})


@pytest.fixture
async def serve() -> AsyncIterator[object]:
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(app: object, http: str) -> str:
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, http=http, lifespan="off", log_level="warning")  # type: ignore[arg-type]
        server = uvicorn.Server(config)
        # In the test's own loop: uvicorn takes SIGINT/SIGTERM while it serves, and gives them back.
        task = asyncio.create_task(server.serve())
        servers.append((server, task))
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)
        return f"http://127.0.0.1:{port}"

    yield start
    for server, task in servers:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest.mark.parametrize("http", ["httptools", "h11"])
async def test_every_chunk_arrives_whole_and_in_order(serve: object, http: str) -> None:
    app = Streamer()
    url = await serve(app, http)  # type: ignore[operator]
    async with httpx.AsyncClient() as client:
        for _ in range(2):  # a second request on the same keep-alive connection still parses
            reply = await client.get(url + "/")
            assert reply.status_code == 200
            assert reply.content == b"".join(CHUNKS)
    if http == "httptools":
        # Non-empty chunks go straight to the socket; the empty one goes through `send`.
        assert app.direct == [True, False, True, True] * 2
    else:
        assert app.direct == [False] * 8


async def test_the_app_hands_streams_the_servers_own_send(serve: object) -> None:
    seen: list[object] = []
    app = ChatApp()

    @app.get("/probe")
    async def probe() -> dict[str, bool]:
        return {}

    async def outer(scope: Scope, receive: Receive, send: Send) -> None:
        async def wrapped(message: Message) -> None:
            await send(message)

        seen.append(wrapped)
        await app(scope, receive, wrapped)
        seen.append(scope.get(SERVER_SEND))

    url = await serve(outer, "httptools")  # type: ignore[operator]
    async with httpx.AsyncClient() as client:
        assert (await client.get(url + "/probe")).status_code == 200
    assert seen[0] is seen[1]


@pytest.mark.parametrize(
    ("body", "framed"),
    [
        (b"a", b"1\r\na\r\n"),
        (b"data: x\n\n", b"9\r\ndata: x\n\n\r\n"),
        (b"x" * 255, b"ff\r\n" + b"x" * 255 + b"\r\n"),
        (b"x" * 4096, b"1000\r\n" + b"x" * 4096 + b"\r\n"),
    ],
)
def test_a_chunk_is_framed_as_uvicorn_frames_it(body: bytes, framed: bytes) -> None:
    chunk = _Chunk()
    assert chunk.frame(body) == framed
    assert chunk.frame(body) is chunk.frame(body)  # once per event, whatever its number of clients
    other = bytes(bytearray(body))  # equal bytes, another event: framed on its own, the same way
    assert chunk.frame(other) == framed
    assert chunk.frame(b"z") == b"1\r\nz\r\n"
