"""A Redis Cluster behind REDIS_URL: found out from `INFO cluster` (no setting), and the cluster's
commands client, with the same deadline, the same blocking budget and the same errors as on one
Redis.

redis-py's async cluster client refuses a command outright when a node's connections are all in
use: here a burst waits for one of `max_connections` calls in flight instead. While a slot moves,
that client can also fail with errors that are not RedisError (an AttributeError on a node it has
just dropped): they become a ClusterError, so that the caller answers 503 like any Redis failure.
Once no call has been made for `idle_seconds`, the nodes' connections close (made again when
next needed), as the pool's do on one Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from contextvars import ContextVar
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.asyncio.cluster import ClusterPipeline
from redis.exceptions import ClusterError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.broker.connection import DEFAULT_TIMEOUT, _socket_options

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = 10.0

# Set while a call holds one of the budget's places: what it runs meanwhile through the client (a
# pipeline resending a redirected command) uses that place instead of waiting for another.
_HOLDS_BUDGET: ContextVar[bool] = ContextVar("holds_cluster_budget", default=False)


async def is_cluster(url: str, deadline: float = DEFAULT_TIMEOUT) -> bool:
    """Whether the Redis at `url` runs in cluster mode (cluster_enabled:1)."""
    client = Redis.from_url(url, socket_connect_timeout=deadline, socket_timeout=deadline)
    try:
        info = await client.info("cluster")
    finally:
        await client.aclose()
    return bool(int(info.get("cluster_enabled", 0)))


async def _bounded(client: _ClusterDeadline, call: Any) -> Any:
    """Awaits `call` within the deadline once it holds one of the budget's places: a call in flight
    uses at most one connection per node, so no node is ever asked for more than the budget.

    The wait for a place has a bound of its own (`queue_seconds`): a burst of hundreds of calls
    waits its turn for seconds on a busy machine without Redis being any slower, while the
    deadline, which tells a Redis that hangs, starts once the call goes out."""
    held = _HOLDS_BUDGET.get()
    token = _HOLDS_BUDGET.set(True)
    client.in_flight += 1
    try:
        if not held:
            try:
                async with asyncio.timeout(client.queue_seconds):
                    await client.budget.acquire()
            except BaseException as exc:
                call.close()  # never sent: closed, not left unawaited
                if isinstance(exc, TimeoutError):
                    raise RedisTimeoutError(f"no Redis connection came free within {client.queue_seconds} s") from None
                raise
        try:
            async with asyncio.timeout(client.deadline):
                return await call
        finally:
            if not held:
                client.budget.release()
    except TimeoutError:
        raise RedisTimeoutError(f"Redis did not answer within {client.deadline} s") from None
    except (RedisError, asyncio.CancelledError):
        raise
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
        logger.warning("the cluster client failed while the cluster changed: %s: %s", type(exc).__name__, exc)
        raise ClusterError(f"the cluster is changing ({type(exc).__name__})") from exc
    finally:
        _HOLDS_BUDGET.reset(token)
        client.in_flight -= 1
        client.last_call = time.monotonic()
        if client.reaper is None or client.reaper.done():
            client.reaper = asyncio.create_task(
                _release_when_idle(client), name="redis-cluster-reaper", context=contextvars.Context()
            )


async def _release_when_idle(client: _ClusterDeadline) -> None:
    while True:
        quiet = time.monotonic() - client.last_call
        if quiet >= client.idle_seconds and not client.in_flight:
            break
        await asyncio.sleep(max(client.idle_seconds - quiet, 0.0) + 0.01)
    nodes = {*client.get_nodes(), *client.nodes_manager.startup_nodes.values()}
    for node in nodes:
        for connection in list(node._free):
            if connection.is_connected:
                # Out of the free ones while it closes, so that no call takes it meanwhile.
                node._free.remove(connection)
                try:
                    with contextlib.suppress(RedisError, OSError):
                        await connection.disconnect()
                finally:
                    node._free.append(connection)


class _Pipeline(ClusterPipeline):
    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> list[Any]:
        client = self.cluster_client
        assert isinstance(client, _ClusterDeadline)
        result: list[Any] = await _bounded(client, super().execute(raise_on_error, allow_redirections))
        return result


class _ClusterDeadline(RedisCluster):
    deadline = DEFAULT_TIMEOUT
    queue_seconds = DEFAULT_QUEUE
    budget: asyncio.Semaphore
    idle_seconds = 60.0
    in_flight = 0
    last_call = 0.0
    reaper: asyncio.Task[None] | None = None

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        return await _bounded(self, super().execute_command(*args, **kwargs))

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> ClusterPipeline:
        if shard_hint:
            return super().pipeline(transaction, shard_hint)
        return _Pipeline(self, transaction)  # type: ignore[abstract]

    async def aclose(self) -> None:
        if self.reaper is not None:
            self.reaper.cancel()
        await super().aclose()


def cluster_client(
    url: str,
    max_connections: int,
    timeout: float = DEFAULT_TIMEOUT,
    idle_seconds: float = 60.0,
    queue_seconds: float = DEFAULT_QUEUE,
) -> RedisCluster:
    """Every command within `timeout`, at most `max_connections` in flight (the rest wait up to
    `queue_seconds` for a place); the connections close after `idle_seconds` without a call."""
    client = _ClusterDeadline.from_url(
        url,
        max_connections=max_connections,
        decode_responses=True,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        **_socket_options(url),
    )
    assert isinstance(client, _ClusterDeadline)
    client.deadline = timeout
    client.queue_seconds = queue_seconds
    client.budget = asyncio.Semaphore(max_connections)
    client.idle_seconds = idle_seconds
    return client
