"""End to end under churn: streams that end and resume, several instances, Redis restarts, slow clients."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import websockets

from scripts.embedded_redis import RedisServer
from tests.conftest import LiveServer
from tests.helpers import ResumingSSE, cancel, session


async def send_steadily(
    url: str, stop: asyncio.Event, interval: float = 0.03, text: str = "m"
) -> tuple[list[str], dict[int, int]]:
    """Posts numbered messages until `stop`; returns the ids answered 201 and a count per status."""
    ok: list[str] = []
    statuses: dict[int, int] = {}
    base = url.split("/api/", 1)[0]
    auth = await asyncio.to_thread(session, base, "sender")
    async with httpx.AsyncClient(timeout=10, headers=auth) as client:
        n = 0
        while not stop.is_set():
            try:
                r = await client.post(url, json={"text": f"{text}{n}", "client_id": f"c{n}"})
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code == 201:
                    ok.append(r.json()["id"])
            except httpx.HTTPError:
                statuses[0] = statuses.get(0, 0) + 1
            n += 1
            await asyncio.sleep(interval)
    return ok, statuses


class ResumingSocket:
    """A WebSocket client that hangs up every `period` seconds and resumes from its last id."""

    def __init__(self, url: str, period: float) -> None:
        self.url = url
        self.period = period
        self.last_id: str | None = None
        self.ids: list[str] = []
        self.connections = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            query = f"?last_event_id={self.last_id}" if self.last_id else ""
            try:
                async with websockets.connect(self.url + query) as ws:
                    self.connections += 1
                    async with asyncio.timeout(self.period):
                        async for raw in ws:
                            frame = json.loads(raw)
                            if frame.get("id"):
                                self.last_id = frame["id"]
                            if frame["type"] == "message":
                                self.ids.append(frame["id"])
            except (TimeoutError, OSError, websockets.WebSocketException):
                await asyncio.sleep(0.05)


def ws_base(server: LiveServer) -> str:
    return server.url.replace("http://", "ws://")


def ids_of(client: ResumingSSE) -> list[str]:
    return [str(m["id"]) for m in client.messages]


async def test_reconnecting_clients_get_every_message_exactly_once(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(sse_max_seconds="1")
    stop, done = asyncio.Event(), asyncio.Event()
    sse = ResumingSSE(server.url + "/api/rooms/general/events")
    sock = ResumingSocket(ws_base(server) + "/api/rooms/general/ws", period=0.7)
    readers = [asyncio.create_task(sse.run(done)), asyncio.create_task(sock.run(done))]
    await asyncio.wait_for(sse.connected.wait(), 10)
    await asyncio.sleep(0.3)
    sender = asyncio.create_task(send_steadily(server.url + "/api/rooms/general/messages", stop))
    await asyncio.sleep(4)
    stop.set()
    sent, statuses = await sender
    await asyncio.sleep(1.5)
    done.set()
    await cancel(readers)
    assert statuses == {201: len(sent)} and len(sent) > 50
    assert sse.connections >= 4 and sock.connections >= 4
    assert ids_of(sse) == sent
    assert sock.ids == sent


async def test_two_instances_share_one_redis(server_factory: Callable[..., LiveServer]) -> None:
    a, b = server_factory(), server_factory()
    done = asyncio.Event()
    on_a = ResumingSSE(a.url + "/api/rooms/lobby/events")
    on_b = ResumingSSE(b.url + "/api/rooms/lobby/events")
    tasks = [asyncio.create_task(c.run(done)) for c in (on_a, on_b)]
    await asyncio.wait_for(asyncio.gather(on_a.connected.wait(), on_b.connected.wait()), 10)
    await asyncio.sleep(0.3)
    async with httpx.AsyncClient(headers=session(a.url, "ada")) as client:
        sent = []
        for i, server in enumerate([a, b, a, b]):
            r = await client.post(f"{server.url}/api/rooms/lobby/messages", json={"text": f"via {i}"})
            sent.append(r.json()["id"])
    for _ in range(50):
        if len(on_a.messages) == len(on_b.messages) == 4:
            break
        await asyncio.sleep(0.1)
    done.set()
    await cancel(tasks)
    assert ids_of(on_a) == ids_of(on_b) == sent


async def test_redis_restart_loses_nothing_answered_201(tmp_path: Path) -> None:
    redis_server = RedisServer(tmp_path / "redis", persistent=True).start()
    server = LiveServer(redis_server.url, {"REDIS_RETRY_MAX_SECONDS": "0.3"}).start()
    try:
        stop, done = asyncio.Event(), asyncio.Event()
        sse = ResumingSSE(server.url + "/api/rooms/general/events")
        sock = ResumingSocket(ws_base(server) + "/api/rooms/general/ws", period=60)
        readers = [asyncio.create_task(sse.run(done)), asyncio.create_task(sock.run(done))]
        await asyncio.wait_for(sse.connected.wait(), 10)
        await asyncio.sleep(0.3)
        sender = asyncio.create_task(send_steadily(server.url + "/api/rooms/general/messages", stop))
        await asyncio.sleep(1)
        await asyncio.to_thread(redis_server.stop)
        await asyncio.sleep(1.5)
        await asyncio.to_thread(redis_server.start)
        await asyncio.sleep(2)
        stop.set()
        sent, statuses = await sender
        await asyncio.sleep(1.5)
        done.set()
        await cancel(readers)
        assert statuses.get(503, 0) > 0, statuses
        assert set(statuses) <= {201, 503}, statuses
        for received in (ids_of(sse), sock.ids):
            assert len(received) == len(set(received)), "a message arrived twice"
            assert received == sorted(received, key=lambda i: tuple(map(int, i.split("-"))))
            assert set(sent) <= set(received), f"lost {len(set(sent) - set(received))}"
    finally:
        server.stop()
        redis_server.stop()


async def test_slow_client_is_dropped_without_holding_up_others(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(client_queue_size="8", max_message_chars="60000")
    done = asyncio.Event()
    fast = ResumingSSE(server.url + "/api/rooms/general/events")
    task = asyncio.create_task(fast.run(done))
    await asyncio.wait_for(fast.connected.wait(), 10)

    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", server.port))
    slow.sendall(b"GET /api/rooms/general/events HTTP/1.1\r\nHost: x\r\n\r\n")
    await asyncio.sleep(0.5)

    # Enough to fill the loopback socket buffers (several MB) and then the client's queue.
    text = "x" * 50000
    async with httpx.AsyncClient(headers=session(server.url, "ada")) as client:
        sent = [
            (await client.post(server.url + "/api/rooms/general/messages", json={"text": text})).json()["id"]
            for _ in range(250)
        ]
    for _ in range(100):
        if len(fast.messages) >= len(sent):
            break
        await asyncio.sleep(0.1)
    done.set()
    await cancel([task])
    assert ids_of(fast) == sent

    # The slow client's stream was cut: it ends before carrying every message.
    slow.settimeout(10)
    received = b""
    while chunk := await asyncio.to_thread(slow.recv, 1 << 20):
        received += chunk
    slow.close()
    assert received.startswith(b"HTTP/1.1 200")
    assert received.count(b"event: message") < len(sent)
