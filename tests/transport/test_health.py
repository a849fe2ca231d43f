"""Health that means something: it follows Redis going away mid-run and coming back."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from scripts.embedded_redis import RedisServer
from tests.conftest import make_settings, sign_in
from tests.helpers import wait_until

URL = "/api/rooms/general/messages"


def test_health_is_503_while_redis_is_lost_mid_run_and_200_once_it_is_back(tmp_path: Path) -> None:
    redis_server = RedisServer(tmp_path / "redis", persistent=True).start()
    try:
        with TestClient(create_app(make_settings(redis_server.url))) as c:
            auth = sign_in(c, "ada")
            assert c.get("/api/health").json()["status"] == "ok"
            assert c.post(URL, json={"text": "before"}, headers=auth).status_code == 201

            redis_server.stop()
            started = time.monotonic()
            health = c.get("/api/health")
            assert health.status_code == 503 and health.json()["error"]["code"] == "redis_unavailable"
            assert time.monotonic() - started < 2, "health must answer within 2 s"
            refused = c.post(URL, json={"text": "while down"}, headers=auth)
            assert refused.status_code == 503 and int(refused.headers["retry-after"]) >= 1

            redis_server.start()
            wait_until(lambda: c.get("/api/health").status_code == 200, what="health to be 200 again")
            assert c.post(URL, json={"text": "after"}, headers=auth).status_code == 201
            assert [m["text"] for m in c.get(URL).json()["messages"]] == ["before", "after"]
    finally:
        redis_server.stop()
