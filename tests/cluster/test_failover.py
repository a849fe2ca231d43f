"""A failover on a real Redis Cluster with replicas: a shard's replica takes over from its master
while two app instances send and stream; every reader gets every message once, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from redis.crc import key_slot

from api.broker import keys
from scripts.redis_cluster import LocalCluster
from tests.cluster.conftest import Traffic, room_on
from tests.conftest import LiveServer
from tests.helpers import eventually

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
    try:
        async with Traffic(cluster, servers, failing, staying, SENDS) as traffic:
            loop = asyncio.get_running_loop()
            promoted: list[int] = []

            async def fail_over() -> None:
                await eventually(lambda: traffic.progress["stored"] >= SENDS // 4, what="sends before the failover")
                promoted.append(await loop.run_in_executor(None, cluster.failover, 0))

            async def half_after_it(n: int) -> None:
                if n == SENDS // 2:
                    await eventually(lambda: bool(promoted), timeout=30, what="the failover")

            await asyncio.wait_for(asyncio.gather(fail_over(), traffic.send_all(half_after_it)), 90)
            assert cluster.owner(slot) == promoted[0]
            await traffic.check()
            # The room's channel is subscribed on the promoted master.
            await eventually(
                lambda: keys.live(failing) in shard_channels(cluster, promoted[0]),
                what=f"{failing}'s subscription on the promoted master",
            )
    finally:
        for server in servers:
            server.stop()


def shard_channels(cluster: LocalCluster, node: int) -> list[str]:
    with cluster.client(node) as r:
        return [str(c) for c in r.execute_command("PUBSUB", "SHARDCHANNELS")]
