"""A full Redis (maxmemory, noeviction) refuses a change to a message whole: each change script's
first write is one Redis refuses when full (the stream entry), so nothing is changed in half."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis
from redis.asyncio import Redis
from redis.exceptions import RedisError

from api.broker import keys
from api.broker.changes import ChangeStatus, ChangeStore
from api.broker.connection import failure
from api.broker.store import MessageStore, SendLimits
from api.domain.errors import StoreFull
from api.domain.identity import Identity
from scripts.embedded_redis import RedisServer

ADA = Identity("ada-0000001", "ada", "guest", "s1")
ROOM = "general"


@pytest.fixture
async def full_redis(tmp_path: Path) -> AsyncIterator[tuple[Redis, redis.Redis]]:
    server = RedisServer(tmp_path / "redis").start()
    client = Redis(port=server.port, decode_responses=True)
    sync = redis.Redis(port=server.port, decode_responses=True)
    try:
        yield client, sync
    finally:
        await client.aclose()
        sync.close()
        if server.process is not None:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


async def test_a_full_redis_changes_nothing(full_redis: tuple[Redis, redis.Redis]) -> None:
    client, sync = full_redis
    sync.hset(keys.sessions(ADA.user_id), ADA.sid, "1")
    sync.hset(keys.account(ADA.user_id), mapping={"name": "ada", "kind": "guest"})
    messages = MessageStore(client, 1000, 60, SendLimits(60_000, 100, 10_000))
    changes = ChangeStore(client, 1000)
    sent = await messages.send(ROOM, ADA, "hello @ada", None, mentions=[ADA.user_id])
    reacted = await changes.react(ROOM, sent.id, ADA, "👍", True)
    assert reacted.status is ChangeStatus.CHANGED
    before = {key: sync.dump(key) for key in sync.keys("*")}
    sync.config_set("maxmemory-policy", "noeviction")
    sync.config_set("maxmemory", 1)
    try:
        attempts = [
            changes.edit(ROOM, sent.id, ADA, "hi", 1, []),
            changes.react(ROOM, sent.id, ADA, "👍", False),
            changes.react(ROOM, sent.id, ADA, "🎉", True),
            changes.delete(ROOM, sent.id, ADA, admin=False),
        ]
        for attempt in attempts:
            with pytest.raises(RedisError) as refused:
                await attempt
            assert isinstance(failure(refused.value), StoreFull)
        assert {key: sync.dump(key) for key in sync.keys("*")} == before
    finally:
        sync.config_set("maxmemory", 0)
    deleted = await changes.delete(ROOM, sent.id, ADA, admin=False)
    assert deleted.status is ChangeStatus.CHANGED
    assert not sync.hexists(keys.edits(ROOM), sent.id + ":r")
    assert sync.zcard(keys.mentions(ROOM, ADA.user_id)) == 0
