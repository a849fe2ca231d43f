"""Redis clients tuned for a chat server: a deadline on every call, no idle timeouts on the
subscriber connection, and a bounded, blocking pool that closes the connections it no longer
uses (hosted free tiers allow about 30 connections for every instance together).

A call that times out is never sent again. Redis may still run it: a command that is queued in a
paused or overloaded Redis runs once Redis catches up, whatever the client did meanwhile. Sending
it again would run it twice (a message stored twice); the caller answers 503 instead, and a send
carries an idempotency key, so that the client's own retry finds the first attempt. Only a refused
or broken connection is retried, once: the command then most likely never reached Redis, and a
send is safe to repeat anyway.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import time
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.client import EMPTY_RESPONSE, NEVER_DECODE
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.broker.multiplex import Multiplexed, shared
from api.domain.errors import DomainError, StoreFull, Unavailable

DEFAULT_TIMEOUT = 2.0


def _retry() -> Retry:
    return Retry(ExponentialBackoff(cap=0.2, base=0.02), 1, supported_errors=(RedisConnectionError,))


def _socket_options(url: str) -> dict[str, bool]:
    # TCP keepalive is an option of TCP connections only: a unix:// URL (the embedded Redis of
    # `scripts/run`) refuses it.
    return {} if url.startswith("unix:") else {"socket_keepalive": True}


class _Deadline(Redis):
    """A client whose every command ends within `deadline` seconds, all waits told: for a pooled
    connection, to connect, for the answer (each of them alone is bounded by the same timeout;
    together they could take twice as long). Cancelled half-way, redis-py drops a pooled
    connection, and the shared one reads the answer and drops it: no answer is ever read by the
    wrong call.

    With `multiplexed`, commands and pipelines share its one connection; the pool is left for
    what holds a connection to itself (transactions, blocking reads, scripts in a pipeline)."""

    deadline = DEFAULT_TIMEOUT
    multiplexed: Multiplexed | None = None

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        mux = self.multiplexed
        if mux is None or NEVER_DECODE in options or not shared(args[0]):
            try:
                async with asyncio.timeout(self.deadline):
                    return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
            except TimeoutError:
                raise RedisTimeoutError(f"Redis did not answer within {self.deadline} s") from None
        try:
            reply = await mux.call(args)  # within the deadline, told by the connection itself
        except ResponseError:
            if EMPTY_RESPONSE in options:
                return options[EMPTY_RESPONSE]
            raise
        return await _parsed(self.response_callbacks, args[0], reply, options)

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        pipe = _SharedPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
        pipe.multiplexed = self.multiplexed
        return pipe

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        if self.multiplexed is not None:
            await self.multiplexed.close()
        await super().aclose(close_connection_pool)


class _SharedPipeline(Pipeline):
    """A pipeline without a transaction written on the shared connection, all of it within the
    client's deadline."""

    multiplexed: Multiplexed | None = None

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        mux, stack = self.multiplexed, list(self.command_stack)
        if (
            mux is None
            or not stack
            or self.is_transaction
            or self.explicit_transaction
            or self.watching
            or self.scripts
            or any(NEVER_DECODE in options or not shared(args[0]) for args, options in stack)
        ):
            return await super().execute(raise_on_error)
        try:
            replies = await mux.call_many([args for args, _ in stack])
        finally:
            await self.reset()  # type: ignore[no-untyped-call]
        response: list[Any] = []
        for (args, options), reply in zip(stack, replies, strict=True):
            if isinstance(reply, RedisConnectionError):
                raise reply
            if not isinstance(reply, ResponseError):
                reply = await _parsed(self.response_callbacks, args[0], reply, dict(options))
            response.append(reply)
        if raise_on_error:
            self.raise_first_error(stack, response)
        return response


async def _parsed(callbacks: Any, command: Any, reply: Any, options: dict[str, Any]) -> Any:
    """`reply` as redis-py's own read would give it: through the command's response callback."""
    callback = callbacks.get(command)
    if callback is None:
        return reply
    options.pop(EMPTY_RESPONSE, None)
    options.pop("keys", None)
    result = callback(reply, **options)
    return await result if inspect.isawaitable(result) else result


class ReleasingPool(BlockingConnectionPool):
    """A blocking pool (a burst waits for a free connection) that closes each connection left
    unused for `idle_seconds`: an instance that served a burst gives its connections back to the
    Redis budget it shares with every other instance."""

    def __init__(self, *, idle_seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.idle_seconds = idle_seconds
        self._released: dict[AbstractConnection, float] = {}
        self._reaper: asyncio.Task[None] | None = None

    async def release(self, connection: AbstractConnection) -> None:
        self._released[connection] = time.monotonic()
        await super().release(connection)
        if self._reaper is None or self._reaper.done():
            # Its own context: it outlives the request that made it, and must not log under its id.
            self._reaper = asyncio.create_task(self._reap(), name="redis-pool-reaper", context=contextvars.Context())

    async def _reap(self) -> None:
        while self._available_connections:
            oldest = min((self._released.get(c, 0.0) for c in self._available_connections), default=0.0)
            await asyncio.sleep(max(0.0, oldest + self.idle_seconds - time.monotonic()) + 0.01)
            await self.release_idle()

    async def release_idle(self) -> int:
        """Closes the connections unused for `idle_seconds`; how many."""
        cutoff = time.monotonic() - self.idle_seconds
        idle = [c for c in self._available_connections if self._released.get(c, 0.0) <= cutoff]
        for connection in idle:
            # Out of the pool first, so that no caller takes it while it closes; the pool makes
            # a new one when it needs one.
            self._available_connections.remove(connection)
            self._released.pop(connection, None)
        for connection in idle:
            await connection.disconnect()
        return len(idle)

    async def disconnect(self, inuse_connections: bool = True) -> None:
        if self._reaper is not None and asyncio.current_task() is not self._reaper:
            self._reaper.cancel()
        await super().disconnect(inuse_connections)


def commands_client(
    url: str,
    max_connections: int,
    timeout: float = DEFAULT_TIMEOUT,
    idle_seconds: float = 60.0,
) -> Redis:
    """Every command and pipeline within `timeout`; commands and pipelines share one connection
    (api/broker/multiplex.py), the rest waits for one of the `max_connections` pooled ones (that
    wait included); a connection unused for `idle_seconds` closes."""
    pool = ReleasingPool.from_url(
        url,
        idle_seconds=idle_seconds,
        max_connections=max_connections,
        timeout=timeout,
        decode_responses=True,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        health_check_interval=30,
        retry=_retry(),
        **_socket_options(url),
    )
    client = _Deadline(connection_pool=pool)
    client.auto_close_connection_pool = True  # its pool closes with it
    client.deadline = timeout
    client.multiplexed = Multiplexed(pool, timeout, idle_seconds)
    return client


def subscriber_client(url: str, timeout: float = DEFAULT_TIMEOUT) -> Redis:
    # No socket timeout: this connection waits indefinitely for the next published event.
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=timeout,
        socket_timeout=None,
        retry=_retry(),
        max_connections=2,
        **_socket_options(url),
    )


def failure(exc: RedisError) -> DomainError:
    """What a failed Redis call means to the caller."""
    # A script's refused write comes back as "ERR Error running script ... -OOM ..." on Redis 6
    # and as the OOM error itself on Redis 7.
    if isinstance(exc, OutOfMemoryError) or (isinstance(exc, ResponseError) and "OOM command not allowed" in str(exc)):
        return StoreFull()
    if isinstance(exc, RedisTimeoutError):
        return Unavailable(
            "the message store did not answer in time; what was sent may still be stored: "
            "try again shortly with the same client_id"
        )
    return Unavailable()
