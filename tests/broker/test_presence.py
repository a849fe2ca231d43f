"""Presence joins and leaves on a real Redis, with many people online."""

from __future__ import annotations

import time

import redis

from api.broker import keys
from api.broker.connection import commands_client
from api.broker.presence import Presence
from api.domain.identity import Identity


def person(name: str) -> Identity:
    return Identity(user_id=f"id-of-{name}-xyz", name=name, kind="user", sid="s")


async def test_joining_and_leaving_read_only_that_persons_entries(redis_url: str, redis_sync: redis.Redis) -> None:
    room = keys.presence("busy")
    expires = int(time.time() * 1000) + 60_000
    crowd = {f"user{i}|elsewhere": expires for i in range(5000)}
    redis_sync.zadd(room, crowd)
    redis_sync.zadd(room + ":names", dict.fromkeys(crowd, 0))
    redis_sync.zadd(room, {"ada|other-instance": expires})
    redis_sync.zadd(room + ":names", {"ada|other-instance": 0})
    client = commands_client(redis_url, 2)
    try:
        presence = Presence(client, ttl_seconds=45, grace_seconds=0, guest_idle_seconds=60)
        with redis_sync.pubsub() as events:
            events.subscribe(keys.live("busy"))
            events.get_message(timeout=1)
            redis_sync.config_resetstat()
            async with presence.present(("busy",), person("ada")):
                async with presence.present(("busy",), person("bob")):
                    pass
            stats = redis_sync.info("commandstats")
            told = [events.get_message(timeout=1) for _ in range(3)]
        assert "cmdstat_zrangebyscore" not in stats  # never the whole online set
        announced = [m["data"] for m in told if m is not None]
        # ada is online on another instance too: no join or leave for her; bob came and went.
        assert len(announced) == 2
        assert all('"user":"bob"' in str(a) for a in announced)
        assert sorted(await presence.online("busy"))[:2] == ["ada", "user0"]
    finally:
        await client.aclose()


async def test_a_rename_while_another_stream_is_open_moves_the_entry_at_once(
    redis_url: str, redis_sync: redis.Redis
) -> None:
    client = commands_client(redis_url, 2)
    try:
        # A long grace: the old name must not wait for it (nor for a refresh).
        presence = Presence(client, ttl_seconds=45, grace_seconds=30, guest_idle_seconds=60)
        old = person("otto")
        new = Identity(user_id=old.user_id, name="otto2", kind="user", sid="s")
        with redis_sync.pubsub() as events:
            events.subscribe(keys.live("hall"))
            events.get_message(timeout=1)
            async with presence.present(("hall",), old):
                async with presence.present(("hall",), new):
                    assert await presence.online("hall") == ["otto2"]
                # The old stream ends after the new one opened: the entry is the new name's still.
                assert await presence.online("hall") == ["otto2"]
            told = [events.get_message(timeout=1) for _ in range(4)]
        announced = [str(m["data"]) for m in told if m is not None]
        # otto came, otto2 came and otto went at once; otto2's own leave waits out the grace.
        assert [a[a.index('"action"') :] for a in announced] == [
            '"action":"join","user":"otto"}',
            '"action":"join","user":"otto2"}',
            '"action":"leave","user":"otto"}',
        ]
    finally:
        await client.aclose()
