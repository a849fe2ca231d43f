"""The cluster client's failures are Redis failures (the edge answers 503, never 500), and its
budget of calls in flight: a burst waits its turn, each call bounded once sent."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Coroutine
from typing import Any, cast

import pytest
from redis.exceptions import ClusterError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.broker.cluster import _bounded, _ClusterDeadline, cluster_client
from api.broker.connection import failure
from api.domain.errors import Code
from scripts.redis_cluster import LocalCluster
from tests.helpers import eventually


async def odd_failure() -> None:
    # What redis-py's async cluster client was seen raising while a slot moved.
    raise AttributeError("'NoneType' object has no attribute 'name'")


@contextlib.asynccontextmanager
async def opened(url: str, max_connections: int, **limits: float) -> AsyncIterator[_ClusterDeadline]:
    client = cluster_client(url, max_connections, **limits)
    assert isinstance(client, _ClusterDeadline)
    try:
        yield client
    finally:
        await client.aclose()


async def test_an_odd_error_while_a_slot_moves_is_a_cluster_error(fresh_cluster: LocalCluster) -> None:
    async with opened(fresh_cluster.url, 5) as client:
        with pytest.raises(ClusterError) as caught:
            await _bounded(client, odd_failure())
        assert failure(caught.value).code is Code.UNAVAILABLE
        await client.set("k", "v")  # and the client goes on working
        assert await client.get("k") == "v"


async def test_a_call_waits_for_a_place_past_its_deadline_and_is_bounded_once_sent(fresh_cluster: LocalCluster) -> None:
    # A burst holds every place: the call behind it waits longer than its own deadline, which
    # starts only once it has a place.
    async with opened(fresh_cluster.url, 1, timeout=0.3, queue_seconds=30) as client:
        await client.set("queued", "v")
        await client.budget.acquire()
        waiting = asyncio.ensure_future(client.get("queued"))
        await eventually(lambda: client.in_flight == 1, what="the call waiting for a place")
        await asyncio.sleep(3 * client.deadline)  # what is tested: longer than the deadline
        assert not waiting.done()
        client.budget.release()
        assert await waiting == "v"


async def test_a_call_that_gets_no_place_within_its_wait_is_a_timeout(fresh_cluster: LocalCluster) -> None:
    async with opened(fresh_cluster.url, 1, timeout=5, queue_seconds=0.2) as client:
        await client.budget.acquire()
        with pytest.raises(RedisTimeoutError, match=r"no Redis connection came free within 0\.2 s") as caught:
            await client.get("k")
        assert failure(caught.value).code is Code.UNAVAILABLE
        never_sent = cast(Coroutine[Any, Any, object], client.get("k"))
        with pytest.raises(RedisTimeoutError):
            await _bounded(client, never_sent)
        assert inspect.getcoroutinestate(never_sent) == inspect.CORO_CLOSED  # not left unawaited
        client.budget.release()
        assert await client.get("k") is None  # and the client goes on working
