"""One Redis connection that carries every caller's commands at once (auto-pipelining, as Node's
Redis clients do): a command alone on it is written at once, one made while others are in flight
goes with whatever else this process makes in the same turn of the event loop, and its reply is
the next one Redis sends back, Redis answering a connection's commands in order. A burst of 200
sends is one connection, not one per send in flight, and costs no pool bookkeeping per command.

redis-py makes and greets the connection (TLS, AUTH, HELLO, SELECT, as the URL says); hiredis
packs commands and parses replies. A caller that gives up (its deadline, a client gone) leaves its
reply to be read and dropped, so no reply ever reaches the wrong caller.

Each command is answered, or fails with a timeout, within `timeout` seconds of being written: one
timer per connection watches the oldest command waiting, not a timer per command (a send's
CPU is small enough for that timer to show). The connection is dropped when Redis has answered
nothing for `timeout` while commands waited (a paused or lost Redis), when it closes, and when
unused for `idle_seconds`; the next command makes a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import deque
from collections.abc import Sequence
from typing import Any, cast

import hiredis
from redis._parsers.base import BaseParser
from redis.asyncio.connection import AbstractConnection, ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import DataError, InvalidResponse
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Commands whose effect outlives them on their connection, or that wait on it: never shared.
PINNED = frozenset(
    {
        "AUTH", "HELLO", "SELECT", "RESET", "QUIT", "CLIENT", "MONITOR", "READONLY", "READWRITE",
        "WATCH", "UNWATCH", "MULTI", "EXEC", "DISCARD",
        "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
        "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP",
        "XREAD", "XREADGROUP", "WAIT", "WAITAOF",
    }
)  # fmt: skip
# Bytes written and not yet taken by the network past which Redis is deemed not to be reading.
MAX_UNSENT = 32 * 1024 * 1024
_PENDING = object()


class _Batch:
    """Replies to commands written together, handed over as one list when the last arrives."""

    __slots__ = ("future", "replies", "size")

    def __init__(self, future: asyncio.Future[list[Any]], size: int) -> None:
        self.future, self.size = future, size
        self.replies: list[Any] = []

    def add(self, reply: Any) -> None:
        self.replies.append(reply)
        if len(self.replies) == self.size and not self.future.done():
            self.future.set_result(self.replies)


class _Link(asyncio.Protocol):
    """One open connection: the callers waiting for its replies, in the order they wrote. Taken
    over from redis-py once greeted: its replies are parsed as they arrive, in the event loop's
    own callback, so that a reply wakes its caller and nothing else."""

    def __init__(self, connection: AbstractConnection, timeout: float) -> None:
        self.transport, self._streams = take_over(connection, self)
        self.waiting: deque[asyncio.Future[Any] | _Batch] = deque()
        self.written_at: deque[float] = deque()  # beside `waiting`, when each was written
        self.timeout = timeout
        self._watch: asyncio.TimerHandle | None = None
        self.unsent: list[bytes] = []
        self.progress = time.monotonic()  # last reply read, or first command after a quiet spell
        self.closed = False
        self.loop = asyncio.get_running_loop()
        self.lost = self.loop.create_future()
        self.parser = hiredis.Reader(
            protocolError=InvalidResponse, replyError=BaseParser.parse_error, encoding="utf-8", notEnoughData=_PENDING
        )
        if self._streams[0].at_eof():
            self.fail(RedisConnectionError("Redis closed the connection"))

    def write(self, packed: bytes, waiter: asyncio.Future[Any] | _Batch, count: int = 1) -> None:
        transport = self.transport
        if transport.get_write_buffer_size() > MAX_UNSENT:
            raise RedisConnectionError("Redis is not reading the commands sent to it")
        now = time.monotonic()
        idle = not self.waiting
        if idle:
            self.progress = now
        for _ in range(count):
            self.waiting.append(waiter)
            self.written_at.append(now)
        if self._watch is None:
            self._watch = self.loop.call_later(self.timeout, self._check)
        if idle and not self.unsent:
            transport.write(packed)  # alone: at once, as a pooled connection would
            return
        # Others are on their way: whatever else this turn of the loop sends goes in one write.
        if not self.unsent:
            self.loop.call_soon(self._flush)
        self.unsent.append(packed)

    def _flush(self) -> None:
        if not self.closed:
            self.transport.write(b"".join(self.unsent) if len(self.unsent) > 1 else self.unsent[0])
        self.unsent.clear()

    def data_received(self, data: bytes) -> None:
        self.progress = time.monotonic()
        parser, waiting, written_at = self.parser, self.waiting, self.written_at
        try:
            parser.feed(data)
            while (reply := parser.gets()) is not _PENDING:
                waiter = waiting.popleft()
                written_at.popleft()
                if isinstance(waiter, _Batch):
                    waiter.add(reply)
                elif not waiter.done():
                    if isinstance(reply, Exception):
                        waiter.set_exception(reply)
                    else:
                        waiter.set_result(reply)
        except (InvalidResponse, IndexError) as exc:
            logger.warning("Redis sent what this connection did not ask for (%s); reconnecting", exc)
            self.fail(RedisConnectionError(f"a reply out of step: {exc}"))

    def eof_received(self) -> bool:
        self.fail(RedisConnectionError("Redis closed the connection"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(RedisConnectionError(f"the connection to Redis was lost ({exc or 'closed'})"))
        if not self.lost.done():
            self.lost.set_result(None)

    def _check(self) -> None:
        """Fails the commands waiting for longer than `timeout`, or the whole connection if Redis
        answered nothing for that long; then watches again, until nothing waits."""
        self._watch = None
        if self.closed or not self.waiting:
            return
        now = time.monotonic()
        if now - self.progress >= self.timeout:
            logger.warning("Redis answered nothing for %.1f s; reconnecting", self.timeout)
            # A timeout, not a broken connection, to the callers still waiting: their commands
            # reached Redis and may yet run, so none is sent again.
            self.fail(RedisTimeoutError(f"Redis answered nothing for {self.timeout} s"))
            return
        due = self.progress + self.timeout
        for written, waiter in zip(self.written_at, self.waiting, strict=True):
            if written + self.timeout > now:
                due = min(due, written + self.timeout)
                break
            # Its reply, when it comes, is read and dropped like a cancelled caller's.
            future = waiter.future if isinstance(waiter, _Batch) else waiter
            if not future.done():
                future.set_exception(RedisTimeoutError(f"Redis did not answer within {self.timeout} s"))
        self._watch = self.loop.call_later(max(due - now, 0.0) + 0.001, self._check)

    def fail(self, error: RedisConnectionError | RedisTimeoutError) -> None:
        """Closes the connection; every caller still waiting gets `error`."""
        if not self.closed:
            self.closed = True
            self.transport.abort()
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        self.written_at.clear()
        while self.waiting:
            waiter = self.waiting.popleft()
            future = waiter.future if isinstance(waiter, _Batch) else waiter
            if not future.done():
                future.set_exception(error)

    async def close(self) -> None:
        self.fail(RedisConnectionError("the connection to Redis was closed"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.lost), 1)


class Multiplexed:
    """Commands of every caller on one connection made by `pool`'s settings (each call retried
    once on a fresh connection if its connection broke, as the pool would)."""

    def __init__(self, pool: ConnectionPool, timeout: float, idle_seconds: float) -> None:
        self._pool = pool
        self.timeout = timeout
        self.idle_seconds = idle_seconds
        self._link: _Link | None = None
        self._connecting: asyncio.Lock | None = None
        self._reaper: asyncio.Task[None] | None = None

    async def call(self, args: Sequence[Any]) -> Any:
        packed = _pack(args)
        try:
            return await self._exchange(packed, 0)
        except RedisConnectionError:
            return await self._exchange(packed, 0)

    async def call_many(self, commands: Sequence[Sequence[Any]]) -> list[Any]:
        """The replies of `commands`, written together; a command's error is its reply."""
        packed = b"".join(_pack(args) for args in commands)
        try:
            result: list[Any] = await self._exchange(packed, len(commands))
        except RedisConnectionError:
            result = await self._exchange(packed, len(commands))
        return result

    async def _exchange(self, packed: bytes, batch: int) -> Any:
        """The reply to `packed` (a list of `batch` replies, for a batch)."""
        link = self._link
        if link is None or link.closed:
            try:
                async with asyncio.timeout(self.timeout):
                    link = await self._connect()
            except TimeoutError:
                raise RedisTimeoutError(f"Redis did not answer within {self.timeout} s") from None
        future: asyncio.Future[Any] = link.loop.create_future()
        if batch:
            link.write(packed, _Batch(future, batch), batch)
        else:
            link.write(packed, future)
        return await future

    async def _connect(self) -> _Link:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            link = self._link
            if link is not None and not link.closed:
                return link
            connection: AbstractConnection = self._pool.make_connection()  # type: ignore[no-untyped-call]
            try:
                await connection.connect()  # type: ignore[no-untyped-call]
            except BaseException:
                await connection.disconnect()
                raise
            self._link = link = _Link(connection, self.timeout)
            if self._reaper is None or self._reaper.done():
                self._reaper = asyncio.create_task(
                    self._reap(), name="redis-multiplex-reaper", context=contextvars.Context()
                )
            return link

    async def _reap(self) -> None:
        """Closes the connection once unused for `idle_seconds`: an instance that served a burst
        gives it back to the Redis budget it shares with every other instance."""
        while (link := self._link) is not None and not link.closed:
            quiet = time.monotonic() - link.progress
            if not link.waiting and not link.unsent and quiet >= self.idle_seconds:
                self._link = None
                await link.close()
                return
            await asyncio.sleep(max(self.idle_seconds - quiet, 0.0) + 0.01)

    async def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        link, self._link = self._link, None
        if link is not None:
            await link.close()


def take_over(
    connection: AbstractConnection, protocol: asyncio.Protocol
) -> tuple[asyncio.Transport, tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """The transport of a connection redis-py made and greeted, idle, now read by `protocol`;
    and redis-py's streams, never used again but kept (a stream writer closes its transport when
    collected)."""
    reader, writer = connection._reader, connection._writer
    assert reader is not None and writer is not None
    connection._reader = connection._writer = None
    transport = cast(asyncio.Transport, writer.transport)  # a socket's: it reads too
    transport.set_protocol(protocol)
    return transport, (reader, writer)


def _pack(args: Sequence[Any]) -> bytes:
    # redis-py names some commands with their subcommand ("CONFIG GET"): Redis wants them apart.
    name = args[0]
    if isinstance(name, str) and " " in name:
        args = (*name.split(), *args[1:])
    try:
        packed: bytes = hiredis.pack_command(tuple(args))
    except TypeError as exc:  # None, a bool: refused as redis-py refuses them
        raise DataError(f"invalid input for a Redis command: {exc}") from None
    return packed


def shared(command: str | bytes) -> bool:
    """Whether `command` (redis-py's name for it, perhaps with its subcommand) may share."""
    if isinstance(command, bytes):
        command = command.decode()
    return command not in PINNED and (" " not in command or command.split(" ", 1)[0] not in PINNED)
