"""A send that Redis runs twice is stored once, even without a client_id: the duplicate the issue saw
(a client retrying the send script after a timeout while the first attempt waited in a paused
Redis), made to happen for real."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest
import redis
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.broker import keys
from api.broker.store import MessageStore, SendLimits, SendStatus
from api.domain.identity import Identity
from scripts.embedded_redis import RedisServer
from tests.helpers import entries, eventually

ADA = Identity(user_id="id-ada", name="ada", kind="user", sid="s1")


@pytest.fixture
def paused_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        if server.process is not None:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


def established(port: int) -> set[int]:
    """Local ports of this process's open connections to the Redis at `port`."""
    return {
        c.laddr.port
        for c in psutil.Process().net_connections("tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    }


async def test_a_send_redis_runs_twice_is_stored_once(paused_redis: RedisServer) -> None:
    assert paused_redis.process is not None
    sync = redis.Redis(port=paused_redis.port, decode_responses=True)
    sync.hset(keys.account(ADA.user_id), mapping={"name": "ada", "kind": "user"})
    sync.hset(keys.sessions(ADA.user_id), ADA.sid, "1")
    # A client that resends after a timeout, as the app's did.
    retrying = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError, RedisTimeoutError))
    client = Redis(port=paused_redis.port, decode_responses=True, socket_timeout=2, retry=retrying)
    store = MessageStore(client, 1000, 3600, SendLimits(60_000, 100, 10_000))
    try:
        await store.send("general", ADA, "warm-up", None)  # loads the script, opens the connection
        first = established(paused_redis.port)
        os.kill(paused_redis.process.pid, signal.SIGSTOP)
        sending = asyncio.create_task(store.send("general", ADA, "once", None))
        # The first attempt times out and waits in Redis; the second connects to send it again.
        await eventually(lambda: bool(established(paused_redis.port) - first), 10, "the retry's connection")
        os.kill(paused_redis.process.pid, signal.SIGCONT)
        result = await asyncio.wait_for(sending, 10)
    finally:
        await client.aclose()
    texts = [fields["m"] for _, fields in entries(sync, keys.stream("general"))]
    assert sum('"text":"once"' in text for text in texts) == 1, texts
    # It was this call's own message: news (201) for whoever sent it, not a replay.
    assert result.status is SendStatus.SENT
    sync.close()
