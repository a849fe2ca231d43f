"""On a Redis Cluster an instance gives its connections back when it no longer needs them: a
shard's subscriber connection closes with the last stream following a channel there, and the
command connections once no call was made for REDIS_IDLE_SECONDS."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from api.broker import keys
from scripts.redis_cluster import LocalCluster
from tests.broker.test_connection import redis_connections
from tests.cluster.conftest import room_on, subscriptions
from tests.conftest import LiveServer
from tests.helpers import eventually, open_stream, session


async def test_a_shard_no_stream_follows_gets_its_connections_back(
    fresh_cluster: LocalCluster, cluster_servers: Callable[..., LiveServer]
) -> None:
    server = cluster_servers(redis_idle_seconds=1)
    # Not the first node: redis-py keeps a connection to the node it learnt the slots from.
    room = room_on(fresh_cluster, 1, "idle")
    port = fresh_cluster.servers[1].port
    auth = session(server.url, "idler")
    async with open_stream(f"{server.url}/api/rooms/{room}/events") as stream:
        assert (await stream.next()).event == "ready"
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            r = await client.post(f"/api/rooms/{room}/messages", json={"text": "hello"}, headers=auth)
            assert r.status_code == 201, r.text
        assert (await stream.next()).event == "message"
        assert keys.live(room) in subscriptions(fresh_cluster)[0]
        assert redis_connections(server, port) >= 2  # the shard's subscriber and a command connection
    await eventually(lambda: keys.live(room) not in subscriptions(fresh_cluster)[0], what="the channel let go")
    await eventually(lambda: redis_connections(server, port) == 0, what="the shard's connections closed")
