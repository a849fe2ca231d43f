"""The key layout: data written by the previous release is migrated once, a newer one refused."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from api.broker import keys
from api.broker.connection import commands_client
from api.broker.layout import LayoutTooNew, ensure_layout
from tests.conftest import bearer, make_settings

LAYOUT_1_MESSAGE = '"room":"team","user":"linus","text":"kept"}'


def write_layout_1(r: redis.Redis, digest: str) -> None:
    """What the release before account ids wrote (keys by name)."""
    r.hset("chat:user:linus", mapping={"name": "Linus", "password": digest, "created": "1"})
    r.set("chat:guest:visitor", "sid-1")
    r.hset("chat:room:team", mapping={"topic": "", "private": "1", "created_by": "Linus", "created": "1", "count": "1"})
    r.zadd("chat:rooms", {"team": 1})
    r.sadd("chat:members:team", "linus", "visitor")
    r.xadd("chat:stream:team", {"n": "1", "m": LAYOUT_1_MESSAGE}, id="5-0")
    position = json.dumps({"user": "Linus", "id": "5-0", "n": 1, "room": "team"})
    r.hset("chat:reads:team", "linus", position)
    r.set("chat:idem:team:linus:c-1", '{"id":"5-0"}')


def test_a_registered_account_keeps_its_password_rooms_history_and_reads(
    redis_url: str, redis_sync: redis.Redis
) -> None:
    from argon2 import PasswordHasher

    write_layout_1(redis_sync, PasswordHasher().hash("correct horse"))
    with TestClient(create_app(make_settings(redis_url))) as c:
        assert redis_sync.get(keys.LAYOUT) == str(keys.LAYOUT_VERSION)
        assert redis_sync.keys("chat:stream:*") == [] and redis_sync.keys("chat:guest:*") == []
        linus = c.post("/api/session", json={"name": "linus", "password": "correct horse"})
        assert linus.status_code == 200 and linus.json()["name"] == "Linus"
        auth = bearer(linus.json()["token"])
        page = c.get("/api/rooms/team/messages", headers=auth).json()
        assert [m["text"] for m in page["messages"]] == ["kept"]
        assert page["reads"][0]["user_id"] == linus.json()["user_id"]
        assert c.get("/api/rooms/team/members", headers=auth).json()["members"] == ["Linus"]
        visitor = c.post("/api/session", json={"name": "visitor"}, headers={"Authorization": ""})
        assert visitor.status_code == 201
        assert c.get("/api/rooms/team/messages", headers=bearer(visitor.json()["token"])).status_code == 403
        assert c.post("/api/rooms/team/messages", json={"text": "new"}, headers=auth).status_code == 201


async def test_several_instances_starting_together_migrate_once(redis_url: str, redis_sync: redis.Redis) -> None:
    write_layout_1(redis_sync, "not-a-hash")
    clients = [commands_client(redis_url, 2) for _ in range(3)]
    await asyncio.gather(*(ensure_layout(client) for client in clients))
    for client in clients:
        await client.aclose()
    assert len(redis_sync.keys(keys.account("*"))) == 1
    assert redis_sync.xlen(keys.stream("team")) == 1
    assert redis_sync.get(keys.LAYOUT) == str(keys.LAYOUT_VERSION)


def test_a_newer_layout_is_refused(redis_url: str, redis_sync: redis.Redis) -> None:
    redis_sync.set(keys.LAYOUT, keys.LAYOUT_VERSION + 1)
    with pytest.raises(LayoutTooNew), TestClient(create_app(make_settings(redis_url))):
        pass
