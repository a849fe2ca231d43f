"""One client's bounded queue of live events, filled by the hub and drained by one transport."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from api.wire import sse
from api.wire.events import Event, StreamKey

HEARTBEAT = Event("", "heartbeat", "{}")
HEARTBEAT._sse = sse.comment("ping")


class Closed(Exception):
    """The subscription ended; `reason` says why (slow, expired, shutdown, disconnected)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Sink = Callable[[Event], Awaitable[None] | None]


class Subscription:
    """Live events for some rooms, and how far each room has been queued and sent.

    `queued[room]` is the newest stored id put in the queue; `sent[room]` the newest written to
    the client. Both start at the client's resume point. The hub skips what is already queued,
    and the transport skips what it already sent (replay and live events overlap once).

    Once the transport attaches a sink, an event that finds the client idle is written by the
    hub at once; only what arrives while a write is unfinished waits in the bounded queue.
    """

    __slots__ = (
        "_blocked",
        "_limit",
        "_queue",
        "_sending",
        "_sink",
        "_waiter",
        "_writer",
        "closed",
        "queued",
        "reason",
        "rooms",
        "sent",
        "unanchored",
    )

    def __init__(self, rooms: tuple[str, ...], limit: int) -> None:
        self.rooms = rooms
        self.queued: dict[str, StreamKey] = dict.fromkeys(rooms, (0, 0))
        self.sent: dict[str, StreamKey] = dict.fromkeys(rooms, (0, 0))
        self.unanchored = set(rooms)
        self.closed = False
        self.reason = ""
        self._queue: deque[Event] = deque()
        self._limit = limit
        self._waiter: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[object] | None = None
        self._sending = False
        self._sink: Sink | None = None
        self._blocked: Awaitable[None] | None = None

    def push(self, event: Event) -> None:
        if self.closed:
            return
        key = event.key
        if key is not None:
            room = event.room
            if key <= self.queued[room]:
                return
            self.queued[room] = key
        sink = self._sink
        if sink is not None and not self._queue and self._blocked is None and not self._sending:
            try:
                self._blocked = sink(event)
            except Exception:
                self.close("error")
                return
            if self._blocked is None:
                return
        elif len(self._queue) >= self._limit:
            self.close("slow")
            return
        else:
            self._queue.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def anchor(self, room: str, key: StreamKey) -> None:
        """Sets where the client stands in a room: it has everything up to `key`."""
        self.sent[room] = key
        if key > self.queued[room]:
            self.queued[room] = key
        self.unanchored.discard(room)

    def close(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.reason = reason
        self._sink = None
        self._queue.clear()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        elif self._sending and self._writer is not None and reason == "slow":
            # The writer is stuck behind a client that stopped reading: only cancelling frees it.
            self._writer.cancel()

    def attach(self, sink: Sink) -> None:
        """Lets the hub write events straight to the client while it keeps up."""
        self._sink = sink

    async def get(self) -> list[Event]:
        """Waits for and takes every queued event, after finishing a write the hub started;
        raises Closed once the subscription ends."""
        while not self._queue:
            if self.closed:
                raise Closed(self.reason)
            if self._blocked is not None:
                await self._finish_blocked()
                continue
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.closed:
            raise Closed(self.reason)
        if self._blocked is not None:
            await self._finish_blocked()
        batch = list(self._queue)
        self._queue.clear()
        return batch

    async def _finish_blocked(self) -> None:
        blocked, self._blocked = self._blocked, None
        if blocked is not None:
            self.writing(True)
            try:
                await blocked
            finally:
                self.writing(False)

    def fresh(self, event: Event) -> bool:
        """Whether the client has not been sent this event yet; marks it sent."""
        key = event.key
        if key is None:
            return True
        if key <= self.sent[event.room]:
            return False
        self.sent[event.room] = key
        return True

    @property
    def blocked(self) -> bool:
        """Whether the writer is waiting for the client's socket to drain."""
        return self._sending

    def writing(self, active: bool) -> None:
        """Marks the current task as blocked on the client's socket, so a slow client can be cut."""
        self._sending = active
        if active and self._writer is None:
            self._writer = asyncio.current_task()
