"""The hub's subscription on one Redis, read as it arrives: a connection redis-py made and
greeted, then subscribed to its patterns and parsed by hiredis in the transport's own callback.
Each published event is decoded once there and queued; the hub's reader takes it without a read
call, a timer or a retry wrapper per event (redis-py's `get_message` cost a tenth of a send's
CPU).

While nothing arrives it pings Redis every `idle_seconds`; a ping still unanswered at the next
one means the connection is gone (half-open: no error would ever come), and the feed fails.

The queue is bounded: past `high` events not yet taken, the feed stops reading until the hub has
taken all but `low`, and what follows waits in Redis's output buffer for this connection (a
subscriber that falls too far behind is disconnected by Redis, and the hub catches up from the
rooms' streams once reconnected).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import hiredis
from redis.asyncio.connection import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError

from api.broker import keys
from api.broker.multiplex import take_over
from api.wire import envelope
from api.wire.events import Event

logger = logging.getLogger(__name__)

_PENDING = object()
_PING = hiredis.pack_command(("PING",))


class PatternFeed(asyncio.Protocol):
    """The events published on channels matching the patterns it was opened with, in order."""

    _transport: asyncio.Transport
    _streams: object  # redis-py's, kept (see take_over)

    def __init__(self, high: int = 10_000, low: int = 1_000) -> None:
        self.idle_seconds = 0.0  # told by the first `next`, which starts the watch
        self._high, self._low = high, low
        self._paused = False
        self._loop = asyncio.get_running_loop()
        self._parser = hiredis.Reader(encoding="utf-8", errors="replace", notEnoughData=_PENDING)
        self._events: deque[Event] = deque()
        self._waiter: asyncio.Future[bool | None] | None = None  # events, a ping, the end
        self._error: Exception | None = None
        self._confirming = 0
        self._confirmed = self._loop.create_future()
        self._heard = time.monotonic()
        self._pinged = False
        self._watch: asyncio.TimerHandle | None = None

    @classmethod
    async def open(cls, pool: ConnectionPool, patterns: Sequence[str], within: float, **limits: int) -> PatternFeed:
        """Connects, subscribes, and returns once Redis confirmed every pattern: from then on, no
        event published on them is missed."""
        connection = pool.make_connection()  # type: ignore[no-untyped-call]
        try:
            await connection.connect()
        except BaseException:
            await connection.disconnect()
            raise
        feed = cls(**limits)
        feed._transport, feed._streams = take_over(connection, feed)
        feed._confirming = len(patterns)
        command: tuple[Any, ...] = ("PSUBSCRIBE", *patterns)
        feed._transport.write(hiredis.pack_command(command))
        try:
            async with asyncio.timeout(within):
                await feed._confirmed
        except BaseException:
            feed.close()
            raise
        return feed

    @property
    def queued(self) -> int:
        return len(self._events)

    @property
    def reading(self) -> bool:
        return not self._paused

    async def next(self, idle_seconds: float) -> Event | None:
        """The next event; None when the feed pinged Redis after `idle_seconds` of silence."""
        self.idle_seconds = idle_seconds
        if self._watch is None and self._error is None:
            self._watch = self._loop.call_later(idle_seconds, self._check)
        while not self._events:
            if self._error is not None:
                raise self._error
            waiter = self._waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
            if waiter.result() is None and not self._events and self._error is None:
                return None
        if self._paused and len(self._events) <= self._low and self._error is None:
            self._paused = False
            self._transport.resume_reading()
        return self._events.popleft()

    def data_received(self, data: bytes) -> None:
        self._heard = time.monotonic()
        self._pinged = False
        parser, events = self._parser, self._events
        parser.feed(data)
        added = False
        while (reply := parser.gets()) is not _PENDING:
            if isinstance(reply, list) and len(reply) == 4 and reply[0] == "pmessage":
                channel, payload = reply[2], reply[3]
                try:
                    events.append(envelope.decode(keys.room_of_channel(channel), payload))
                    added = True
                except ValueError:
                    logger.warning("ignoring a malformed event on %s", channel)
            elif isinstance(reply, list) and reply and reply[0] == "psubscribe":
                self._confirming -= 1
                if self._confirming == 0 and not self._confirmed.done():
                    self._confirmed.set_result(None)
            elif isinstance(reply, Exception):
                self._fail(RedisConnectionError(f"Redis refused the subscription: {reply}"))
                return
        if added:
            if len(events) >= self._high and not self._paused:
                self._paused = True
                self._transport.pause_reading()
            self._wake(True)

    def eof_received(self) -> bool:
        self._fail(RedisConnectionError("Redis closed the subscriber's connection"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(RedisConnectionError(f"the subscriber's connection was lost ({exc or 'closed'})"))

    def close(self) -> None:
        self._fail(RedisConnectionError("the subscriber's connection was closed"))

    def _check(self) -> None:
        if self._paused:  # not reading, by choice: silence says nothing of the connection
            self._heard = time.monotonic()
        quiet = time.monotonic() - self._heard
        if quiet < self.idle_seconds:
            self._watch = self._loop.call_later(self.idle_seconds - quiet, self._check)
            return
        if self._pinged:
            self._fail(RedisConnectionError(f"Redis answered no ping for {self.idle_seconds:.1f} s"))
            return
        self._pinged = True
        self._transport.write(_PING)
        self._wake(None)
        self._watch = self._loop.call_later(self.idle_seconds, self._check)

    def _wake(self, value: bool | None) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(value)

    def _fail(self, error: Exception) -> None:
        if self._error is not None:
            return
        self._error = error
        if self._watch is not None:
            self._watch.cancel()
        self._transport.abort()
        if not self._confirmed.done():
            self._confirmed.set_exception(error)
            self._confirmed.exception()  # retrieved: a failure before confirmation is raised by open()
        self._wake(False)
