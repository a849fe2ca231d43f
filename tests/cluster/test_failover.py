"""A failover on a real Redis Cluster with replicas: a shard's replica takes over from its master
while two app instances send and stream; every reader gets every message once, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from functools import partial

import httpx
import pytest
from redis.crc import key_slot

from api.broker import keys
from scripts.redis_cluster import LocalCluster
from tests.cluster.conftest import has_all, room_on, send_until_stored, subscriptions
from tests.conftest import LiveServer
from tests.helpers import ResumingSSE, cancel, eventually, session

SENDS = 40


@pytest.fixture
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Three masters with a replica each, of this test alone (a failover changes who is who)."""
    with LocalCluster(tmp_path_factory.mktemp("replicated"), replicas=1) as started:
        yield started


async def test_a_failover_loses_and_doubles_nothing(replicated: LocalCluster) -> None:
    cluster = replicated
    servers = [LiveServer(cluster.url, {}).start(), LiveServer(cluster.url, {}).start()]
    failing, staying = room_on(cluster, 0, "failing"), room_on(cluster, 1, "staying")
    slot = key_slot(keys.live(failing).encode())
    auths = [session(server.url, f"writer{i}") for i, server in enumerate(servers)]
    readers = {
        (room, i): ResumingSSE(f"{server.url}/api/rooms/{room}/events", auth=session(server.url, f"reader{i}"))
        for room in (failing, staying)
        for i, server in enumerate(servers)
    }
    stop = asyncio.Event()
    tasks = [asyncio.create_task(reader.run(stop)) for reader in readers.values()]
    try:
        for reader in readers.values():
            await asyncio.wait_for(reader.connected.wait(), 10)
        await eventually(
            lambda: {keys.live(failing), keys.live(staying)} <= set(subscriptions(cluster)[0]),
            what=f"sharded subscriptions of {failing} and {staying}",
        )
        progress = {"stored": 0, "refused": 0}
        loop = asyncio.get_running_loop()
        promoted: list[int] = []

        async def fail_over() -> None:
            await eventually(lambda: progress["stored"] >= SENDS // 4, what="sends before the failover")
            promoted.append(await loop.run_in_executor(None, cluster.failover, 0))

        async def send_all() -> None:
            async with httpx.AsyncClient(timeout=10) as client:
                for n in range(SENDS):
                    room = failing if n % 2 == 0 else staying
                    i = n % len(servers)
                    url = f"{servers[i].url}/api/rooms/{room}/messages"
                    await send_until_stored(client, url, f"m{n}", auths[i], progress)
                    progress["stored"] += 1
                    if n == SENDS // 2:
                        # The rest of the sends after the replica took over.
                        await eventually(lambda: bool(promoted), timeout=30, what="the failover")

        await asyncio.wait_for(asyncio.gather(fail_over(), send_all()), 90)
        assert cluster.owner(slot) == promoted[0]
        for (room, i), reader in readers.items():
            wanted = [f"m{n}" for n in range(SENDS) if (n % 2 == 0) == (room == failing)]
            await eventually(partial(has_all, reader, len(wanted)), timeout=15, what=f"{room}'s messages on server {i}")
            assert [m["text"] for m in reader.messages] == wanted, (room, i)
        # The room's channel is subscribed on the promoted master.
        await eventually(
            lambda: keys.live(failing) in shard_channels(cluster, promoted[0]),
            what=f"{failing}'s subscription on the promoted master",
        )
    finally:
        stop.set()
        await cancel(tasks)
        for server in servers:
            server.stop()


def shard_channels(cluster: LocalCluster, node: int) -> list[str]:
    with cluster.client(node) as r:
        return [str(c) for c in r.execute_command("PUBSUB", "SHARDCHANNELS")]
