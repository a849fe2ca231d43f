"""The chat on a real Redis Cluster: sharded pub/sub only, rooms on different shards served by two
app instances, and a slot migration in the middle of sends that loses and doubles nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import httpx
import jwt
from redis.crc import key_slot

from api.broker import keys
from scripts.redis_cluster import LocalCluster
from tests.broker.test_connection import BURST, Peak, redis_connections
from tests.cluster.conftest import Traffic, room_on, subscriptions
from tests.conftest import LiveServer
from tests.helpers import eventually, open_stream, session, subscriber_away

SENDS = 60


async def test_rooms_on_two_shards_survive_a_slot_migration_without_loss_or_duplicate(
    fresh_cluster: LocalCluster, cluster_servers: Callable[..., LiveServer]
) -> None:
    cluster = fresh_cluster
    servers = [cluster_servers(), cluster_servers()]
    moving, staying = room_on(cluster, 0, "moving"), room_on(cluster, 1, "staying")
    slot = key_slot(keys.live(moving).encode())
    async with Traffic(cluster, servers, moving, staying, SENDS) as traffic:
        channels, patterns = subscriptions(cluster)
        assert patterns == 0  # nothing uses PSUBSCRIBE on a cluster, people's own channels included
        assert any(channel.startswith(keys.PREFIX + "{u:") for channel in channels)

        # Sends go on while the slot migrates: marked and its keys moved (sends to the room are
        # refused with 503 and retried: a script's keys are split between two shards), handed
        # over on the new shard only (sends run there, where no subscriber of the room listens
        # yet: only the catch-up after resubscribing brings them), then everywhere.
        progress = traffic.progress
        loop = asyncio.get_running_loop()

        async def migrate() -> None:
            await eventually(lambda: progress["stored"] >= SENDS // 4, what="sends before the migration")
            source = await loop.run_in_executor(None, cluster.start_move, slot, 2)
            await eventually(lambda: progress["refused"] >= 1, what="a send refused while the slot migrates")
            await loop.run_in_executor(None, cluster.move_keys, slot, source, 2)
            await loop.run_in_executor(None, cluster.end_move, slot, 2, [2])
            moved_at = progress["stored"]
            await eventually(lambda: progress["stored"] >= moved_at + 4, what="sends on the new shard")
            await loop.run_in_executor(None, cluster.end_move, slot, 2, [source, 1])

        await asyncio.wait_for(asyncio.gather(migrate(), traffic.send_all()), 60)
        assert cluster.owner(slot) == 2
        await traffic.check()
        # The moved room's channel is subscribed on its new shard only.
        with cluster.client(2) as r:
            assert keys.live(moving) in r.execute_command("PUBSUB", "SHARDCHANNELS")
        with cluster.client(0) as r:
            assert keys.live(moving) not in r.execute_command("PUBSUB", "SHARDCHANNELS")


async def test_a_burst_of_sends_on_a_cluster_waits_for_its_connections(
    fresh_cluster: LocalCluster, cluster_servers: Callable[..., LiveServer]
) -> None:
    server = cluster_servers(redis_max_connections=5)
    auths = [session(server.url, f"burst{i}") for i in range(10)]
    limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=BURST)
    rooms = [room_on(fresh_cluster, node, "burst") for node in range(3)]
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:

        async def send(i: int) -> int:
            url = f"/api/rooms/{rooms[i % 3]}/messages"
            return (await client.post(url, json={"text": f"m{i}"}, headers=auths[i % 10])).status_code

        with Peak(lambda: max(redis_connections(server, s.port) for s in fresh_cluster.servers)) as peak:
            statuses = await asyncio.gather(*(send(i) for i in range(BURST)))
    assert statuses == [201] * BURST
    # Per node, however the calls spread: the budget's 5, and the one connection redis-py keeps to
    # the node it read the cluster's layout from (seen open before any request).
    assert peak.value <= 6


async def test_a_member_removed_while_a_slot_moves_stops_reading(
    fresh_cluster: LocalCluster, cluster_servers: Callable[..., LiveServer]
) -> None:
    cluster = fresh_cluster
    server = cluster_servers()
    ada, bob = session(server.url, "ada"), session(server.url, "bob")
    vault = room_on(cluster, 0, "vault")
    slot = key_slot(keys.live(vault).encode())
    body = {"name": vault, "private": True, "members": ["bob"]}
    assert httpx.post(f"{server.url}/api/rooms", json=body, headers=ada).status_code == 201
    async with open_stream(f"{server.url}/api/rooms/{vault}/events", bob) as reading:
        while (await reading.next()).event != "ready":
            pass
        await eventually(lambda: keys.live(vault) in subscriptions(cluster)[0], what="the vault's subscription")
        # The slot is handed to its new shard, which alone knows yet, when bob is removed.
        loop = asyncio.get_running_loop()
        source = await loop.run_in_executor(None, cluster.start_move, slot, 2)
        await loop.run_in_executor(None, cluster.move_keys, slot, source, 2)
        await loop.run_in_executor(None, cluster.end_move, slot, 2, [2])
        removed = httpx.delete(f"{server.url}/api/rooms/{vault}/members/bob", headers=ada)
        assert removed.status_code == 204, removed.text
        await loop.run_in_executor(None, cluster.end_move, slot, 2, [source, 1])
        # His stream is told and ends; what is sent after his removal never reaches it.
        sent = httpx.post(f"{server.url}/api/rooms/{vault}/messages", json={"text": "after"}, headers=ada)
        assert sent.status_code == 201, sent.text
        frames = []
        with contextlib.suppress(StopAsyncIteration):
            while True:
                frames.append(await reading.next(timeout=15))
        assert [f.event for f in frames if f.event not in ("presence", "typing")] == ["access"]
        assert frames[-1].json() == {"room": vault, "readable": False}


async def test_a_session_ended_while_the_subscriber_is_away_ends_its_streams(
    fresh_cluster: LocalCluster, cluster_servers: Callable[..., LiveServer]
) -> None:
    cluster = fresh_cluster
    # Pooled connections kept, no presence refresh: nothing but the subscriber needs a new one.
    server = cluster_servers(redis_idle_seconds=3600, presence_refresh_seconds=3600)
    bob = session(server.url, "bob")
    user_id = jwt.decode(bob["Authorization"].split()[1], options={"verify_signature": False})["sub"]
    owner = cluster.client(cluster.owner(key_slot(keys.user_live(user_id).encode())))
    try:
        async with open_stream(f"{server.url}/api/rooms/general/events", bob) as reading:
            while (await reading.next()).event != "ready":
                pass
            await eventually(lambda: keys.user_live(user_id) in subscriptions(cluster)[0], what="bob's own channel")
            # Away from the shard of bob's account: his sign-out there is announced to nobody,
            # and not stored.
            async with subscriber_away(owner, server.url):
                assert httpx.delete(f"{server.url}/api/session", headers=bob).status_code == 204
            # Back, the hub checks the sessions of its streams: his ends.
            frames = []
            with contextlib.suppress(StopAsyncIteration):
                while True:
                    frames.append(await reading.next(timeout=15))
            assert [f.event for f in frames if f.event not in ("presence", "typing")] == []
    finally:
        owner.close()
