"""Test clients that behave like real ones (an SSE reader that resumes by Last-Event-ID), waits on
conditions instead of fixed sleeps, a window on the commands the real Redis runs, and a gate
that holds Redis's replies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlparse

import httpx
import redis

_sessions: dict[tuple[str, str], dict[str, str]] = {}

# What a client may take as "try again": Redis away (503) or a proxy in between (502, 504).
RETRY_STATUSES = frozenset({502, 503, 504})


def session(base_url: str, name: str) -> dict[str, str]:
    """Authorization headers for the guest `name` on the server at `base_url`: claimed, or renewed
    by its holder (the suite flushes Redis between tests, releasing every name)."""
    r = httpx.post(base_url + "/api/session", json={"name": name}, headers=_sessions.get((base_url, name), {}))
    assert r.status_code in (200, 201), r.text
    headers = _sessions[(base_url, name)] = {"Authorization": f"Bearer {r.json()['token']}"}
    return headers


def health(base_url: str) -> dict[str, object]:
    """The server's /api/health answer (200 expected)."""
    r = httpx.get(base_url + "/api/health", timeout=5)
    assert r.status_code == 200, r.text
    result: dict[str, object] = r.json()
    return result


async def hub_listening(base_url: str) -> None:
    """Waits until the server's Redis subscriber is connected, so that events which are never
    stored (typing, presence, reads) published from now on reach its streams."""
    await eventually(lambda: health(base_url)["subscriber"] is True, what=f"the subscriber of {base_url}")


@asynccontextmanager
async def subscriber_away(control: redis.Redis, base_url: str) -> AsyncIterator[None]:
    """While the block runs, the server at `base_url` has lost its subscriber's connection to the
    Redis `control` talks to and cannot make another (its command connections go on): what is
    published meanwhile reaches none of its streams."""
    # Room for every connection but the one killed next.
    control.config_set("maxclients", int(control.info("clients")["connected_clients"]) - 1)
    try:
        control.client_kill_filter(_type="pubsub")
        await eventually(lambda: health(base_url)["subscriber"] is False, what="the subscriber's loss")
        yield
    finally:
        control.config_set("maxclients", 10000)


@dataclass
class Frame:
    event: str = "message"
    id: str | None = None
    data: str = ""

    def json(self) -> dict[str, object]:
        result: dict[str, object] = json.loads(self.data)
        return result


def parse_frames(buffer: str) -> tuple[list[Frame], str]:
    """Complete frames in `buffer`, and the incomplete rest. Comments and retry lines are dropped."""
    frames = []
    while "\n\n" in buffer:
        block, buffer = buffer.split("\n\n", 1)
        frame, data, seen = Frame(), [], False
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                frame.event, seen = value, True
            elif name == "id":
                frame.id, seen = value, True
            elif name == "data":
                data.append(value)
                seen = True
        if seen and data:
            frame.data = "\n".join(data)
            frames.append(frame)
    return frames, buffer


class ResumingSSE:
    """Follows a room's stream like EventSource does: reconnects after each end, sending the last id.

    It retries only what a real client would retry (the connection failing, 502/503/504); any
    other answer is a failure, raised by every accessor a test waits on, so that a refused stream
    fails the test with its reason instead of a timeout.
    """

    def __init__(self, url: str, last_id: str | None = None, auth: dict[str, str] | None = None) -> None:
        self.url = url
        self.last_id = last_id
        self.auth = dict(auth or {})
        self.connected = asyncio.Event()
        self.refusals = 0  # retryable answers (Redis away)
        self._frames: list[Frame] = []
        self._connections = 0
        self._failure: BaseException | None = None

    def _check(self) -> None:
        if self._failure is not None:
            raise AssertionError(f"the stream {self.url} failed") from self._failure

    @property
    def connections(self) -> int:
        self._check()
        return self._connections

    @property
    def frames(self) -> list[Frame]:
        self._check()
        return self._frames

    @property
    def messages(self) -> list[dict[str, object]]:
        return self.events("message")

    def events(self, kind: str) -> list[dict[str, object]]:
        return [f.json() for f in self.frames if f.event == kind]

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await self._run(stop)
        except Exception as exc:
            self._failure = exc
            raise

    async def _run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=30)) as client:
            while not stop.is_set():
                headers = {"Last-Event-ID": self.last_id, **self.auth} if self.last_id else dict(self.auth)
                try:
                    async with client.stream("GET", self.url, headers=headers) as response:
                        if response.status_code in RETRY_STATUSES:
                            self.refusals += 1
                            await asyncio.sleep(0.2)  # a client's backoff, not synchronisation
                            continue
                        if response.status_code != 200:
                            body = (await response.aread()).decode(errors="replace")
                            raise AssertionError(f"GET {self.url} answered {response.status_code}: {body}")
                        self._connections += 1
                        self.connected.set()
                        buffer = ""
                        async for text in response.aiter_text():
                            frames, buffer = parse_frames(buffer + text.replace("\r\n", "\n"))
                            for frame in frames:
                                if frame.id is not None:
                                    self.last_id = frame.id
                                self._frames.append(frame)
                            if stop.is_set():
                                return
                except httpx.TransportError:
                    await asyncio.sleep(0.2)  # a client's backoff, not synchronisation


class SSEStream:
    """One open SSE response, read frame by frame."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._chunks = response.aiter_text()
        self._buffer = ""
        self._ready: list[Frame] = []

    async def next(self, timeout: float = 10) -> Frame:
        """The next frame (comments skipped); fails after `timeout` seconds without one."""
        async with asyncio.timeout(timeout):
            while not self._ready:
                text = await anext(self._chunks)
                frames, self._buffer = parse_frames(self._buffer + text.replace("\r\n", "\n"))
                self._ready += frames
        return self._ready.pop(0)

    async def take(self, count: int, timeout: float = 10) -> list[Frame]:
        return [await self.next(timeout) for _ in range(count)]


@asynccontextmanager
async def open_stream(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> AsyncIterator[SSEStream]:
    """Opens an SSE stream (200 required) for a test to read frame by frame."""
    async with httpx.AsyncClient(timeout=timeout) as client:
        async with client.stream("GET", url, headers=headers or {}) as response:
            assert response.status_code == 200, (response.status_code, (await response.aread()).decode())
            yield SSEStream(response)


async def read_frames(url: str, count: int, headers: dict[str, str] | None = None, timeout: float = 10) -> list[Frame]:
    """Opens one stream and returns its first `count` frames."""
    async with open_stream(url, headers, timeout) as stream:
        return await stream.take(count, timeout)


async def cancel(tasks: list[asyncio.Task[None]]) -> None:
    """Cancels background tasks, then raises the first error any of them ended with."""
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception):
            raise result


async def eventually(check: Callable[[], bool], timeout: float = 10, what: str = "the condition") -> None:
    """Waits until `check()` holds: for effects that cross processes and Redis."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() >= deadline:
            raise AssertionError(f"waited {timeout} s for {what}, in vain")
        await asyncio.sleep(0.05)


def wait_until(check: Callable[[], bool], timeout: float = 10, what: str = "the condition") -> None:
    """`eventually` for synchronous tests."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout} s for {what}, in vain")
        time.sleep(0.05)


async def holds_for(check: Callable[[], bool], seconds: float, what: str = "the condition") -> None:
    """Asserts that `check()` stays true, checked every 50 ms, for `seconds`: for promises about
    time itself (someone stays online, a name stays held), where the passing time is the test."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        assert check(), f"{what} stopped holding after {seconds - (end - loop.time()):.2f} s"
        await asyncio.sleep(0.05)


class RedisMonitor:
    """The commands the real Redis executes from now on (MONITOR), to see that a server has done
    something before the test goes on: e.g. a long-poll has read the room and found nothing."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._commands: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="redis-monitor", daemon=True)
        self._started = threading.Event()

    def __enter__(self) -> RedisMonitor:
        self._thread.start()
        assert self._started.wait(5), "MONITOR did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._client.close()

    def _read(self) -> None:
        with self._client.monitor() as monitor:
            self._started.set()
            while not self._stop.is_set():
                try:
                    if not monitor.connection.can_read(timeout=0.1):
                        continue
                    command = monitor.next_command()
                except redis.ConnectionError:
                    return
                with self._lock:
                    self._commands.append(str(command["command"]))

    def saw_page_read(self, key: str, after: str, limit: int) -> bool:
        """Whether Redis ran a read of the stream `key` after the id `after` of at most `limit` + 1
        entries: a page as a long-poll of `limit` messages asks for. (The hub's catch-up after it
        subscribes reads after the same id, in bigger pages: that read does not count.)"""
        for command in self.commands():
            args = command.split()
            upper = [a.upper() for a in args]
            if key in args and after in (a.lstrip("(") for a in args) and "COUNT" in upper:
                count = args[upper.index("COUNT") + 1]
                if count.isdigit() and int(count) <= limit + 1:
                    return True
        return False

    def commands(self) -> list[str]:
        with self._lock:
            return list(self._commands)


def entries(r: redis.Redis, stream: str) -> list[tuple[str, dict[str, str]]]:
    """Every entry of `stream`, from a client that decodes responses."""
    return cast(list[tuple[str, dict[str, str]]], r.xrange(stream))


class Gate:
    """A front to Redis, a real socket each way: commands pass at once; Redis's replies are held
    while the gate is shut, then let through `release(n)` bytes at a time."""

    def __init__(self, redis_url: str) -> None:
        self._target = urlparse(redis_url)
        self.shut = False
        self.held = bytearray()
        self._client: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._front, "127.0.0.1", 0)
        return f"redis://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/0"

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()

    async def _front(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._client = writer
        redis_reader, redis_writer = await asyncio.open_connection(self._target.hostname, self._target.port)

        async def commands() -> None:
            while data := await reader.read(65536):
                redis_writer.write(data)
            redis_writer.close()

        async def replies() -> None:
            while data := await redis_reader.read(65536):
                if self.shut:
                    self.held += data
                else:
                    writer.write(data)
            writer.close()

        with contextlib.suppress(OSError):
            await asyncio.gather(commands(), replies())

    def release(self, size: int) -> None:
        assert self._client is not None
        self._client.write(bytes(self.held[:size]))
        del self.held[:size]
