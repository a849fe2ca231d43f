"""The Redis connection budget: a serverless instance keeps to 5 command connections plus its
subscriber; under a burst its commands share one, every call of the burst succeeds, and idle
connections are released."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from urllib.parse import urlparse

import httpx
import psutil  # type: ignore[import-untyped]
import pytest

from tests.conftest import ROOT, LiveServer
from tests.helpers import eventually, hub_listening, open_stream, session

BURST = 200
PLATFORM_VARIABLES = {"VERCEL", "AWS_LAMBDA_FUNCTION_NAME", "REDIS_MAX_CONNECTIONS", "REDIS_IDLE_SECONDS"}


@pytest.mark.parametrize(
    ("platform", "connections", "idle"),
    [({"VERCEL": "1"}, 5, 10.0), ({"AWS_LAMBDA_FUNCTION_NAME": "chat"}, 5, 10.0), ({}, 10, 60.0)],
    ids=["vercel", "lambda", "elsewhere"],
)
def test_serverless_defaults_keep_to_the_shared_budget(platform: dict[str, str], connections: int, idle: float) -> None:
    env = {k: v for k, v in os.environ.items() if k.upper() not in PLATFORM_VARIABLES} | platform
    code = (
        "import json\nfrom api.config import Settings\ns = Settings()\n"
        "print(json.dumps([s.redis_max_connections, s.redis_idle_seconds]))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [connections, idle]


def redis_connections(server: LiveServer, redis_port: int) -> int:
    """The server process's open TCP connections to Redis."""
    assert server.process is not None
    connections = psutil.Process(server.process.pid).net_connections(kind="tcp")
    return sum(1 for c in connections if c.raddr and c.raddr.port == redis_port and c.status == "ESTABLISHED")


class Peak:
    """The most connections seen, sampled on a thread while the block runs."""

    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count
        self.value = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.value = max(self.value, self._count())

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


async def test_a_burst_of_sends_shares_one_connection_released_when_idle(
    server_factory: Callable[..., LiveServer], redis_url: str
) -> None:
    server = server_factory(redis_max_connections=5, redis_idle_seconds=1)
    port = urlparse(redis_url).port
    assert port is not None
    senders = [session(server.url, f"burst{i}") for i in range(10)]
    async with open_stream(server.url + "/api/rooms/general/events") as stream:
        assert (await stream.next()).event == "ready"
        await hub_listening(server.url)
        limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=BURST)
        async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:

            async def send(i: int) -> int:
                r = await client.post(
                    "/api/rooms/general/messages", json={"text": f"m{i}"}, headers=senders[i % len(senders)]
                )
                return r.status_code

            with Peak(lambda: redis_connections(server, port)) as peak:
                statuses = await asyncio.gather(*(send(i) for i in range(BURST)))
        assert statuses == [201] * BURST
        # The shared command connection and the subscriber.
        assert peak.value == 2, peak.value
        received = [await stream.next() for _ in range(BURST)]
        assert sorted(str(f.json()["text"]) for f in received) == sorted(f"m{i}" for i in range(BURST))
        # Unused for REDIS_IDLE_SECONDS, the command connections close; the subscriber stays.
        await eventually(lambda: redis_connections(server, port) == 1, timeout=10, what="idle connections closed")
