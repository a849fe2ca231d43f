"""Redis in trouble, for real: a redis-server paused with SIGSTOP (a hang, not a refusal) and one that
is full (maxmemory, noeviction). Sends fail fast and clearly, and nothing is ever stored twice or
in half."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis

from api.broker import keys
from scripts.embedded_redis import RedisServer
from tests.conftest import LiveServer
from tests.helpers import ResumingSSE, cancel, entries, eventually, session

ROOM = "general"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone: it gets paused or filled."""
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        if server.process is not None:
            os.kill(server.process.pid, signal.SIGCONT)  # a failed test must not leave it stopped
        server.stop()


def stored_texts(r: redis.Redis) -> list[str]:
    return [json.loads("{" + fields["m"])["text"] for _, fields in entries(r, keys.stream(ROOM))]


@dataclass
class Sender:
    """Posts numbered messages like the browser's outbox: with a client_id, a failed send is sent
    again (same id) until it is acknowledged; without one, a failed send is given up."""

    name: str
    with_client_id: bool
    acked: dict[str, str] = field(default_factory=dict)  # text -> id
    statuses: Counter[int] = field(default_factory=Counter)
    failure_seconds: list[float] = field(default_factory=list)  # how long each 503 took

    async def run(self, base: str, stop: asyncio.Event) -> None:
        auth = await asyncio.to_thread(session, base, self.name)
        url = f"{base}/api/rooms/{ROOM}/messages"
        async with httpx.AsyncClient(timeout=30, headers=auth) as client:
            n = 0
            while not stop.is_set():
                text = f"{self.name}-{n}"
                body = {"text": text, "client_id": text} if self.with_client_id else {"text": text}
                while await self._post(client, url, body) is False and self.with_client_id:
                    await asyncio.sleep(0.05)
                n += 1
                await asyncio.sleep(0.02)

    async def _post(self, client: httpx.AsyncClient, url: str, body: dict[str, str]) -> bool:
        started = time.monotonic()
        try:
            r = await client.post(url, json=body)
        except httpx.HTTPError:
            self.statuses[0] += 1
            return False
        self.statuses[r.status_code] += 1
        if r.status_code in (200, 201):
            self.acked[body["text"]] = r.json()["id"]
            return True
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "redis_unavailable" and r.headers["retry-after"], r.text
        self.failure_seconds.append(time.monotonic() - started)
        return False


async def timed_health(base: str) -> tuple[int, float]:
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        r = await client.get(base + "/api/health")
    return r.status_code, time.monotonic() - started


async def test_paused_redis_fails_sends_fast_and_stores_nothing_twice(own_redis: RedisServer) -> None:
    assert own_redis.process is not None
    pid = own_redis.process.pid
    # Fewer pooled connections than senders: some sends also wait for a connection, and the
    # deadline covers that wait too.
    server = LiveServer(own_redis.url, {"REDIS_MAX_CONNECTIONS": "2"}).start()
    r = redis.Redis(port=own_redis.port, decode_responses=True)
    try:
        done, stop = asyncio.Event(), asyncio.Event()
        readers = [ResumingSSE(f"{server.url}/api/rooms/{ROOM}/events") for _ in range(3)]
        reading = [asyncio.create_task(reader.run(done)) for reader in readers]
        await asyncio.wait_for(asyncio.gather(*(reader.connected.wait() for reader in readers)), 10)
        senders = [Sender("outbox1", True), Sender("outbox2", True), Sender("bare", False)]
        sending = [asyncio.create_task(s.run(server.url, stop)) for s in senders]
        await eventually(lambda: all(len(s.acked) >= 5 for s in senders), what="sends before the pause")

        os.kill(pid, signal.SIGSTOP)
        try:
            health = [await timed_health(server.url)]
            # Every sender has met the hang, more than once.
            await eventually(lambda: all(s.statuses[503] >= 2 for s in senders), 30, "503s while paused")
            health.append(await timed_health(server.url))
        finally:
            os.kill(pid, signal.SIGCONT)

        assert all(status == 503 and took < 2.0 for status, took in health), health
        marks = {s.name: len(s.acked) for s in senders}
        await eventually(lambda: all(len(s.acked) >= marks[s.name] + 5 for s in senders), 30, "sends after")
        assert (await timed_health(server.url))[0] == 200
        stop.set()
        await asyncio.gather(*sending)

        texts = stored_texts(r)
        assert len(texts) == len(set(texts)), [t for t, c in Counter(texts).items() if c > 1]
        for s in senders:
            assert set(s.acked) <= set(texts), f"{s.name} lost an acknowledged message"
            assert set(s.statuses) <= {200, 201, 503}, s.statuses
            # A send answers within REDIS_TIMEOUT_SECONDS (2), not after retries piled on it (4 s
            # and more); the second's slack is for a machine busy with other tests.
            assert max(s.failure_seconds) < 3.0, s.failure_seconds
        stored_ids = [entry_id for entry_id, _ in entries(r, keys.stream(ROOM))]
        await eventually(lambda: all(len(reader.messages) >= len(stored_ids) for reader in readers), 15)
        done.set()
        await cancel(reading)
        for reader in readers:
            assert [m["id"] for m in reader.messages] == stored_ids
    finally:
        server.stop()
        r.close()


def fill_up(r: redis.Redis, headroom: int) -> None:
    """From now on Redis refuses writes that grow memory once `headroom` bytes more are used."""
    r.config_set("maxmemory-policy", "noeviction")
    r.config_set("maxmemory", int(r.info("memory")["used_memory"]) + headroom)


@pytest.mark.parametrize("password", [None, "a long enough password"])
async def test_full_redis_answers_503_and_stores_nothing_in_half(own_redis: RedisServer, password: str | None) -> None:
    server = LiveServer(own_redis.url, {}).start()
    r = redis.Redis(port=own_redis.port, decode_responses=True)
    body = {"name": "ada"} if password is None else {"name": "ada", "password": password}
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            signed = await client.post("/api/session", json=body)
            client.headers["Authorization"] = "Bearer " + signed.json()["token"]
            url = f"/api/rooms/{ROOM}/messages"
            first = await client.post(url, json={"text": "first", "client_id": "c-first"})
            assert first.status_code == 201
            fill_up(r, 200_000)

            statuses: Counter[int] = Counter()
            refusals = []
            for i in range(2000):
                sent = await client.post(url, json={"text": f"{i}:" + "x" * 2000, "client_id": f"c-{i}"})
                statuses[sent.status_code] += 1
                if sent.status_code != 201:
                    refusals.append((f"c-{i}", sent))
                    if len(refusals) == 5:
                        break
            assert set(statuses) == {201, 503} and statuses[503] == 5, statuses
            for _, refused in refusals:
                assert refused.json()["error"]["code"] == "store_full", refused.text
                assert int(refused.headers["retry-after"]) > 0

            # Nothing in half: every message numbered, no number taken without its message, no
            # idempotency key of a refused send.
            numbers = [int(fields["n"]) for _, fields in entries(r, keys.stream(ROOM))]
            assert numbers == list(range(1, statuses[201] + 2))
            assert int(r.hget(keys.room(ROOM), "count") or 0) == len(numbers)
            user_id = signed.json()["user_id"]
            assert not any(r.exists(keys.idempotency(ROOM, f"{user_id}:{cid}")) for cid, _ in refusals)
            # What was sent can still be asked again: a replay only reads.
            again = await client.post(url, json={"text": "first", "client_id": "c-first"})
            assert again.status_code == 200 and again.json()["id"] == first.json()["id"]

            r.config_set("maxmemory", 0)
            retried = await client.post(url, json={"text": "retried", "client_id": refusals[0][0]})
            assert retried.status_code == 201 and retried.json()["n"] == len(numbers) + 1
    finally:
        server.stop()
        r.close()
