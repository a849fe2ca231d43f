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
from tests.helpers import RETRY_STATUSES, ResumingSSE, cancel, eventually, session


class SteadySender:
    """Posts numbered messages as one signed-in person until stopped. `answers` holds every
    answer's status (0: none came) and Retry-After header, in order; `ok` the ids answered 201."""

    def __init__(self, url: str, interval: float = 0.03) -> None:
        self.url = url
        self.interval = interval
        self.ok: list[str] = []
        self.answers: list[tuple[int, str | None]] = []

    def count(self, status: int, since: int = 0) -> int:
        return sum(1 for s, _ in self.answers[since:] if s == status)

    async def run(self, stop: asyncio.Event) -> None:
        base = self.url.split("/api/", 1)[0]
        auth = await asyncio.to_thread(session, base, "sender")
        async with httpx.AsyncClient(timeout=10, headers=auth) as client:
            n = 0
            while not stop.is_set():
                try:
                    r = await client.post(self.url, json={"text": f"m{n}", "client_id": f"c{n}"})
                    self.answers.append((r.status_code, r.headers.get("retry-after")))
                    if r.status_code == 201:
                        self.ok.append(r.json()["id"])
                except httpx.HTTPError:
                    self.answers.append((0, None))
                n += 1
                await asyncio.sleep(self.interval)  # the pace of a busy room, not synchronisation


# Closes after which a client resumes: normal or going away, server restart, try again later, or
# the connection lost without a close frame. Anything else (1008 policy, 1011 error) is a failure.
RESUMABLE_CLOSES = frozenset({1000, 1001, 1006, 1012, 1013})


class ResumingSocket:
    """A WebSocket client that hangs up every `period` seconds and resumes from its last id. It
    retries what a real client would (connection refused, a resumable close, 502-504); anything
    else fails, raised by `ids` and `connections`."""

    def __init__(self, url: str, period: float) -> None:
        self.url = url
        self.period = period
        self.last_id: str | None = None
        self.connected = asyncio.Event()
        self._ids: list[str] = []
        self._connections = 0
        self._failure: BaseException | None = None

    def _check(self) -> None:
        if self._failure is not None:
            raise AssertionError(f"the socket {self.url} failed") from self._failure

    @property
    def ids(self) -> list[str]:
        self._check()
        return self._ids

    @property
    def connections(self) -> int:
        self._check()
        return self._connections

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self._run(stop)
        except Exception as exc:
            self._failure = exc
            raise

    async def _run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            query = f"?last_event_id={self.last_id}" if self.last_id else ""
            try:
                async with websockets.connect(self.url + query) as ws:
                    self._connections += 1
                    self.connected.set()
                    async with asyncio.timeout(self.period):
                        async for raw in ws:
                            frame = json.loads(raw)
                            if frame["type"] == "error":
                                raise AssertionError(f"error frame: {frame}")
                            if frame.get("id"):
                                self.last_id = frame["id"]
                            if frame["type"] == "message":
                                self._ids.append(frame["id"])
            except TimeoutError:
                continue  # hung up on purpose
            except websockets.ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else 1006
                if code not in RESUMABLE_CLOSES:
                    raise
            except websockets.InvalidStatus as exc:
                if exc.response.status_code not in RETRY_STATUSES:
                    raise
            except OSError:
                pass  # the server is not listening (yet)
            await asyncio.sleep(0.05)  # a client's backoff, not synchronisation


def ws_base(server: LiveServer) -> str:
    return server.url.replace("http://", "ws://")


def ids_of(client: ResumingSSE) -> list[str]:
    return [str(m["id"]) for m in client.messages]


def has_all(sent: list[str], *readers: Callable[[], list[str]]) -> Callable[[], bool]:
    return lambda: all(set(sent) <= set(read()) for read in readers)


async def test_reconnecting_clients_get_every_message_exactly_once(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(sse_max_seconds="1")
    stop, done = asyncio.Event(), asyncio.Event()
    sse = ResumingSSE(server.url + "/api/rooms/general/events")
    sock = ResumingSocket(ws_base(server) + "/api/rooms/general/ws", period=0.7)
    readers = [asyncio.create_task(sse.run(done)), asyncio.create_task(sock.run(done))]
    await eventually(lambda: sse.connections >= 1 and sock.connections >= 1, what="both readers connected")
    sender = SteadySender(server.url + "/api/rooms/general/messages")
    sending = asyncio.create_task(sender.run(stop))
    sse_before, sock_before = sse.connections, sock.connections
    await eventually(
        lambda: sse.connections >= sse_before + 3 and sock.connections >= sock_before + 3 and len(sender.ok) > 50,
        timeout=30,
        what="both readers to resume three times while messages flow",
    )
    stop.set()
    await sending
    await eventually(has_all(sender.ok, lambda: ids_of(sse), lambda: sock.ids), what="every message at both readers")
    done.set()
    await cancel(readers)
    assert sender.count(201) == len(sender.answers), sender.answers
    assert ids_of(sse) == sender.ok
    assert sock.ids == sender.ok


async def test_two_instances_share_one_redis(server_factory: Callable[..., LiveServer]) -> None:
    a, b = server_factory(), server_factory()
    done = asyncio.Event()
    on_a = ResumingSSE(a.url + "/api/rooms/lobby/events")
    on_b = ResumingSSE(b.url + "/api/rooms/lobby/events")
    tasks = [asyncio.create_task(c.run(done)) for c in (on_a, on_b)]
    await eventually(lambda: on_a.connections == on_b.connections == 1, what="a stream on each instance")
    async with httpx.AsyncClient(headers=session(a.url, "ada")) as client:
        sent = []
        for i, server in enumerate([a, b, a, b]):
            r = await client.post(f"{server.url}/api/rooms/lobby/messages", json={"text": f"via {i}"})
            assert r.status_code == 201, r.text
            sent.append(r.json()["id"])
    await eventually(has_all(sent, lambda: ids_of(on_a), lambda: ids_of(on_b)), what="every message on both")
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
        await eventually(lambda: sse.connections >= 1 and sock.connections >= 1, what="both readers connected")
        sender = SteadySender(server.url + "/api/rooms/general/messages")
        sending = asyncio.create_task(sender.run(stop))
        await eventually(lambda: len(sender.ok) >= 10, what="sends before the restart")

        await asyncio.to_thread(redis_server.stop)
        down = len(sender.answers)
        await eventually(lambda: sender.count(503, down) >= 3, what="sends refused with 503 while Redis is down")
        await asyncio.to_thread(redis_server.start)
        up = len(sender.answers)
        await eventually(lambda: sender.count(201, up) >= 10, timeout=15, what="sends accepted once Redis is back")

        stop.set()
        await sending
        await eventually(has_all(sender.ok, lambda: ids_of(sse), lambda: sock.ids), what="every 201 at both readers")
        done.set()
        await cancel(readers)
        assert {s for s, _ in sender.answers} == {201, 503}, sender.answers
        assert all(retry is not None and int(retry) >= 1 for s, retry in sender.answers if s == 503), sender.answers
        for received in (ids_of(sse), sock.ids):
            assert len(received) == len(set(received)), "a message arrived twice"
            assert received == sorted(received, key=lambda i: tuple(map(int, i.split("-"))))
    finally:
        server.stop()
        redis_server.stop()


async def test_slow_client_is_dropped_without_holding_up_others(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(client_queue_size="8", max_message_chars="250000", max_body_bytes="300000")
    done = asyncio.Event()
    fast = ResumingSSE(server.url + "/api/rooms/general/events")
    task = asyncio.create_task(fast.run(done))
    await eventually(lambda: fast.connections == 1, what="the fast reader connected")

    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.settimeout(10)
    slow.connect(("127.0.0.1", server.port))
    slow.sendall(b"GET /api/rooms/general/events HTTP/1.1\r\nHost: x\r\n\r\n")
    # The slow client is subscribed once its stream says where it stands; from then on it reads nothing.
    received = b""
    while b"event: ready" not in received:
        chunk = await asyncio.to_thread(slow.recv, 4096)
        assert chunk, received
        received += chunk

    # 10 MB: enough to fill the loopback socket buffers (4 MB at most) and then the client's queue.
    text = "x" * 250_000
    async with httpx.AsyncClient(headers=session(server.url, "ada")) as client:
        sent = [
            (await client.post(server.url + "/api/rooms/general/messages", json={"text": text})).json()["id"]
            for _ in range(40)
        ]
    await eventually(lambda: len(fast.messages) >= len(sent), timeout=20, what="every message at the fast reader")
    done.set()
    await cancel([task])
    assert ids_of(fast) == sent

    # The slow client's stream was cut: it ends before carrying every message.
    while chunk := await asyncio.to_thread(slow.recv, 1 << 20):
        received += chunk
    slow.close()
    assert received.startswith(b"HTTP/1.1 200")
    assert 0 < received.count(b"event: message") < len(sent)
    metrics = httpx.get(server.url + "/api/metrics").text
    assert "chat_slow_clients_dropped_total 1.0" in metrics
    assert 'chat_stream_ends_total{reason="slow"} 1.0' in metrics
