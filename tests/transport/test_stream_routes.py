"""The SSE routes' fast path answers as the FastAPI routes do. A GET with a body (here an empty
one, `Content-Length: 0`) is left to the routes, so each request is made both ways against a real
server and the answers compared: status, JSON body, and the headers' names and values (the
request id and date aside)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from api.transport.direct import _Pipeline, _Writable
from api.transport.stream_routes import _route, is_stream
from tests.conftest import LiveServer
from tests.helpers import session

ROUTER = {"content-length": "0"}  # not taken by the fast path: answered by the routes


@pytest.mark.parametrize(
    ("path", "room"),
    [
        ("/api/rooms/general/events", "general"),
        ("/api/rooms/No!/events", "No!"),
        ("/api/events", ""),
        ("/api/rooms//events", None),
        ("/api/rooms/a/b/events", None),
        ("/api/events/", None),
        ("/api/rooms/general/messages", None),
        ("/api/health", None),
    ],
)
def test_route(path: str, room: str | None) -> None:
    assert _route({"type": "http", "method": "GET", "path": path}) == room
    assert _route({"type": "http", "method": "HEAD", "path": path}) is None


def test_only_bodiless_gets_with_the_app_state_are_taken() -> None:
    scope = {"type": "http", "method": "GET", "path": "/api/events", "headers": [], "state": {}}
    assert is_stream(scope)
    assert not is_stream({**scope, "headers": [(b"content-length", b"0")]})
    assert not is_stream({**scope, "headers": [(b"transfer-encoding", b"chunked")]})
    assert not is_stream({k: v for k, v in scope.items() if k != "state"})


def _same(fast: httpx.Response, routed: httpx.Response) -> None:
    assert fast.status_code == routed.status_code
    names = [name for name, _ in fast.headers.multi_items()]
    assert names == [name for name, _ in routed.headers.multi_items()]
    assert "x-request-id" in names and "content-security-policy" in names
    varying = {"x-request-id", "date"}
    assert [v for k, v in fast.headers.multi_items() if k not in varying] == [
        v for k, v in routed.headers.multi_items() if k not in varying
    ]


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/rooms/No!/events", {}),
        ("/api/rooms/general/events?last_event_id=nope", {}),
        ("/api/rooms/general/events", {"last-event-id": "1-x"}),
        ("/api/rooms/general/events", {"authorization": "Basic eA=="}),
        ("/api/rooms/general/events", {"authorization": "Bearer not.a.token"}),
        ("/api/events", {}),
        ("/api/events?rooms=", {}),
        ("/api/events?rooms=a,No!", {}),
        ("/api/events?rooms=" + ",".join(f"r{i}" for i in range(51)), {}),
        ("/api/events?rooms=a&last_event_id=zz", {}),
    ],
)
def test_refusals_are_the_routes_answers(live_server: LiveServer, path: str, headers: dict[str, str]) -> None:
    fast = httpx.get(live_server.url + path, headers=headers)
    routed = httpx.get(live_server.url + path, headers={**headers, **ROUTER})
    assert fast.status_code >= 400, fast.text
    _same(fast, routed)
    assert fast.json() == routed.json()
    assert set(fast.json()["error"]) == {"code", "message"}


async def test_a_stream_starts_as_the_routes_start_it(live_server: LiveServer) -> None:
    auth = session(live_server.url, "streamy")
    answers = []
    async with httpx.AsyncClient(timeout=10) as client:
        for extra in ({}, ROUTER):
            url = live_server.url + "/api/events?rooms=general"
            async with client.stream("GET", url, headers={**auth, **extra, "x-request-id": "req-1"}) as r:
                first = await anext(r.aiter_text())
                answers.append((r, first))
    (fast, fast_first), (routed, routed_first) = answers
    _same(fast, routed)
    assert fast.headers["x-request-id"] == "req-1"
    assert fast_first.startswith("retry:") and routed_first.startswith("retry:")


async def test_writable_event_wakes_its_waiters() -> None:
    event = _Writable(True)
    assert await event.wait()
    event.clear()
    waiters = [asyncio.create_task(event.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    event.set()
    assert await asyncio.gather(*waiters) == [True, True]
    assert event.is_set()


def test_pipeline_keeps_the_order_of_a_deque() -> None:
    pipeline = _Pipeline()
    assert not pipeline
    pipeline.appendleft(1)
    pipeline.appendleft(2)
    assert pipeline and pipeline.pop() == 1 and pipeline.pop() == 2 and not pipeline


async def test_a_request_pipelined_behind_a_stream_is_answered_when_it_ends(server_factory) -> None:
    server = server_factory(sse_max_seconds=1)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    host = f"Host: 127.0.0.1:{server.port}\r\n"
    stream = f"GET /api/rooms/general/events HTTP/1.1\r\n{host}\r\n"
    writer.write(stream.encode())
    await reader.readuntil(b"event: ready")  # the stream is open, its cycle's protocol swapped
    writer.write(f"GET /api/health HTTP/1.1\r\n{host}Connection: close\r\n\r\n".encode())
    rest = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    assert rest.count(b"HTTP/1.1 200 OK") == 1 and b'"status":"ok"' in rest.replace(b" ", b"")
