"""Shared fixtures: a throwaway real redis-server, the app in-process, and real server processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from scripts.embedded_redis import RedisServer, free_port, stop_process
from tests.seaweed import SeaweedFS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer | None]:
    """The suite's Redis: REDIS_URL if set, else a private redis-server for this run."""
    if os.environ.get("REDIS_URL"):
        yield None
        return
    with RedisServer(tmp_path_factory.mktemp("redis"), persistent=True) as server:
        yield server


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """The suite's S3 server (SeaweedFS), started by the first test that needs it."""
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer | None) -> str:
    return redis_server.url if redis_server is not None else os.environ["REDIS_URL"]


@pytest.fixture(autouse=True)
def _clean_redis(request: pytest.FixtureRequest) -> None:
    if "redis_url" not in request.fixturenames and "live_server" not in request.fixturenames:
        return
    url = request.getfixturevalue("redis_url")
    with redis.Redis.from_url(url) as r:
        r.flushdb()


@pytest.fixture
def redis_sync(redis_url: str) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_url, decode_responses=True) as r:
        yield r


# Tests send, sign in and create rooms faster than a person may, all from 127.0.0.1: the limits
# have tests of their own.
TEST_DEFAULTS = {
    "send_rate_count": 1_000_000,
    "session_rate_per_address_per_minute": 1_000_000,
    "room_create_rate_per_hour": 1_000_000,
}


def make_settings(redis_url: str, **overrides: object) -> Settings:
    return Settings(**{"redis_url": redis_url, **TEST_DEFAULTS, **overrides})  # type: ignore[arg-type]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: TestClient | str, name: str, password: str | None = None) -> dict[str, str]:
    """Authorization headers for `name` (a guest unless a password is given)."""
    body = {"name": name} if password is None else {"name": name, "password": password}
    if isinstance(client, str):
        r = httpx.post(client + "/api/session", json=body)
    else:
        client.cookies.clear()  # else the session cookie would renew the last name signed in
        r = client.post("/api/session", json=body, headers={"Authorization": ""})
    assert r.status_code in (200, 201), r.text
    return bearer(r.json()["token"])


@pytest.fixture
def client(redis_url: str) -> Iterator[TestClient]:
    """The app in-process with its lifespan run, signed in as the guest "ada" (its requests carry
    her token unless they set their own Authorization header): for request/response routes."""
    with TestClient(create_app(make_settings(redis_url))) as c:
        c.headers.update(sign_in(c, "ada"))
        c.cookies.clear()
        yield c


class LiveServer:
    """A real uvicorn process serving the app on its own port, which can be stopped and restarted."""

    def __init__(self, redis_url: str, env: dict[str, str], port: int | None = None, log: Path | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The app's own lines (a request, a stream's end) only when a test asks: like uvicorn's.
        defaults = {**{k.upper(): str(v) for k, v in TEST_DEFAULTS.items()}, "LOG_LEVEL": "WARNING"}
        self.env = {**os.environ, **defaults, "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1", **env}
        self.log = log  # where its output goes (appended), else the test's own output
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> LiveServer:
        output = open(self.log, "ab") if self.log is not None else None  # noqa: SIM115 (the child holds it)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.index:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                # No --timeout-graceful-shutdown: the app itself ends its streams and stops in
                # time on SIGTERM (SHUTDOWN_SECONDS), and every test's stop relies on it.
                # uvicorn itself honours X-Forwarded-* from 127.0.0.1 unless told not to: as in
                # scripts/run, TRUST_PROXY alone decides.
                "--no-proxy-headers",
                "--log-level",
                self.env.get("UVICORN_LOG_LEVEL", "warning"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=output,
            stderr=output,
        )
        if output is not None:
            output.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with code {self.process.returncode}")
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become healthy")

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture
def server_factory(redis_url: str) -> Iterator[Callable[..., LiveServer]]:
    """Starts live servers with extra environment settings; all are stopped after the test."""
    started: list[LiveServer] = []

    def start(log: Path | None = None, **env: str) -> LiveServer:
        server = LiveServer(redis_url, {k.upper(): str(v) for k, v in env.items()}, log=log)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def _shared_server(redis_url: str) -> Iterator[LiveServer]:
    server = LiveServer(redis_url, {})
    yield server
    server.stop()


@pytest.fixture
def live_server(_shared_server: LiveServer) -> LiveServer:
    """A server with default settings, shared by the tests (started again if a test stopped it)."""
    if _shared_server.process is None or _shared_server.process.poll() is not None:
        _shared_server.start()
    return _shared_server
