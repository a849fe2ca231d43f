"""Test clients that behave like real ones: an SSE reader that resumes by Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import httpx
import redis

_sessions: dict[tuple[str, str], dict[str, str]] = {}


def session(base_url: str, name: str) -> dict[str, str]:
    """Authorization headers for the guest `name` on the server at `base_url`: claimed, or renewed
    by its holder (the suite flushes Redis between tests, releasing every name)."""
    r = httpx.post(base_url + "/api/session", json={"name": name}, headers=_sessions.get((base_url, name), {}))
    assert r.status_code in (200, 201), r.text
    headers = _sessions[(base_url, name)] = {"Authorization": f"Bearer {r.json()['token']}"}
    return headers


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


@dataclass
class ResumingSSE:
    """Follows a room's stream like EventSource does: reconnects after each end, sending the last id."""

    url: str
    last_id: str | None = None
    auth: dict[str, str] = field(default_factory=dict)
    frames: list[Frame] = field(default_factory=list)
    connections: int = 0
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def messages(self) -> list[dict[str, object]]:
        return self.events("message")

    def events(self, kind: str) -> list[dict[str, object]]:
        return [f.json() for f in self.frames if f.event == kind]

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=30)) as client:
            while not stop.is_set():
                headers = {"Last-Event-ID": self.last_id, **self.auth} if self.last_id else dict(self.auth)
                try:
                    async with client.stream("GET", self.url, headers=headers) as response:
                        if response.status_code != 200:
                            await asyncio.sleep(0.2)
                            continue
                        self.connections += 1
                        self.connected.set()
                        buffer = ""
                        async for text in response.aiter_text():
                            frames, buffer = parse_frames(buffer + text.replace("\r\n", "\n"))
                            for frame in frames:
                                if frame.id is not None:
                                    self.last_id = frame.id
                                self.frames.append(frame)
                            if stop.is_set():
                                return
                except httpx.HTTPError:
                    await asyncio.sleep(0.2)


async def read_frames(url: str, count: int, headers: dict[str, str] | None = None, timeout: float = 10) -> list[Frame]:
    """Opens one stream and returns its first `count` frames."""
    frames: list[Frame] = []
    async with httpx.AsyncClient(timeout=timeout) as client:
        async with client.stream("GET", url, headers=headers or {}) as response:
            assert response.status_code == 200, response.status_code
            buffer = ""
            async with asyncio.timeout(timeout):
                async for text in response.aiter_text():
                    new, buffer = parse_frames(buffer + text)
                    frames += new
                    if len(frames) >= count:
                        return frames[:count]
    return frames


async def cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def eventually(check: Callable[[], bool], timeout: float = 10, what: str = "condition") -> None:
    """Waits until `check()` holds: for effects that cross processes and Redis."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


def entries(r: redis.Redis, stream: str) -> list[tuple[str, dict[str, str]]]:
    """Every entry of `stream`, from a client that decodes responses."""
    return cast(list[tuple[str, dict[str, str]]], r.xrange(stream))
