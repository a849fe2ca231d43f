"""One client's bounded queue of live events, filled by the hub and drained by one transport."""

from __future__ import annotations

import asyncio
from collections import deque

from api.wire import sse
from api.wire.events import Event, StreamKey

HEARTBEAT = Event("", "heartbeat", "{}")
HEARTBEAT._sse = sse.comment("ping")


class Closed(Exception):
    """The subscription ended; `reason` says why (slow, expired, shutdown, disconnected)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Subscription:
    """Live events for some rooms, and how far each room has been queued and sent.

    `queued[room]` is the newest stored id put in the queue; `sent[room]` the newest written to
    the client. Both start at the client's resume point. The hub skips what is already queued,
    and the transport skips what it already sent (replay and live events overlap once).
    """

    __slots__ = (
        "_limit",
        "_queue",
        "_sending",
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

    def push(self, event: Event) -> None:
        if self.closed:
            return
        key = event.key
        if key is not None:
            room = event.room
            if key <= self.queued[room]:
                return
            self.queued[room] = key
        if len(self._queue) >= self._limit:
            self.close("slow")
            return
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
        self._queue.clear()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        elif self._sending and self._writer is not None and reason == "slow":
            # The writer is stuck behind a client that stopped reading: only cancelling frees it.
            self._writer.cancel()

    async def get(self) -> list[Event]:
        """Waits for and takes every queued event; raises Closed once the subscription ends."""
        while not self._queue:
            if self.closed:
                raise Closed(self.reason)
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.closed:
            raise Closed(self.reason)
        batch = list(self._queue)
        self._queue.clear()
        return batch

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
