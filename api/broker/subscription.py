"""One client's live events: deduplicated, then offered to its delivery or kept in a bounded queue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from api.domain.identity import Identity
from api.wire.events import Event
from api.wire.ids import ZERO, StreamKey

if TYPE_CHECKING:
    from api.broker.lane import Lane, Seat


class End(StrEnum):
    """Why a subscription ended."""

    DONE = "done"  # the transport finished with it
    DISCONNECTED = "disconnected"  # the client went away
    EXPIRED = "expired"  # the stream's maximum duration passed (SSE_MAX_SECONDS)
    SLOW = "slow"  # the client fell too far behind: cut, it resumes by id
    SHUTDOWN = "shutdown"  # the server is stopping
    ERROR = "error"  # writing to the client failed
    ACCESS = "access"  # the client may no longer read the stream's only room
    REVOKED = "revoked"  # the session that opened it ended
    UNSUPPORTED = "unsupported"  # the client sent what its transport does not take (a binary frame)


class Closed(Exception):
    def __init__(self, reason: End) -> None:
        super().__init__(reason.value)
        self.reason = reason


Offer = Callable[[Event], bool]
_NONE: frozenset[str] = frozenset()
OnClose = Callable[[End], None]


class Subscription:
    """Live events of some rooms for one client.

    Invariants:
    - `queued[room]` is the newest stored id accepted for `room`: a stored event at or below it
      is dropped, so the replay, the live events and the hub's catch-up never repeat one.
    - `anchors[room]` is where the client stood when it was positioned (see `anchor`).
    - An accepted event is first offered to the listener (the client's delivery) while nothing
      waits in the queue, so order is kept; the listener returns False when it cannot take it
      now, and then the event is queued.
    - At most `limit` events wait; one more ends the subscription as SLOW.
    - Once closed, nothing is accepted and `on_close` has run once; `get()` raises Closed once
      the queue is empty (a close that drains keeps what was queued, e.g. the access event).
    - A room revoked for this client delivers nothing more, whatever arrives for it later.
    - While in its room's lane (lane.py) the fan-out writes to its transport without it: it
      leaves the lane before it is revoked or closed, and is then told where it stands.
    """

    __slots__ = (
        "_limit",
        "_offer",
        "_on_close",
        "_queue",
        "_revoked",
        "_seat",
        "_waiter",
        "anchors",
        "closed",
        "lane",
        "queued",
        "reason",
        "rooms",
        "viewer",
    )

    def __init__(self, rooms: tuple[str, ...], limit: int, viewer: Identity | None = None) -> None:
        self.rooms = rooms
        self.viewer = viewer
        # Shared while empty (nearly always): an empty set costs 216 bytes per idle client.
        self._revoked: frozenset[str] = _NONE
        self.queued: dict[str, StreamKey] = dict.fromkeys(rooms, ZERO)
        self.anchors: dict[str, StreamKey] = {}
        self.closed = False
        self.reason = End.DONE
        # A list, not a deque: taken whole by get(), and an empty deque costs 760 bytes to an
        # empty list's 56, at thousands of idle clients per process.
        self._queue: list[Event] = []
        self._limit = limit
        self._waiter: asyncio.Future[None] | None = None
        self._offer: Offer | None = None
        self._on_close: OnClose | None = None
        self._seat: Seat | None = None
        self.lane: Lane | None = None

    @property
    def unanchored(self) -> set[str]:
        return {room for room in self.rooms if room not in self.anchors}

    def push(self, event: Event) -> None:
        if self.closed or (self._revoked and event.room in self._revoked):
            return
        key = event.key
        if key is not None:
            room = event.room
            if key <= self.queued[room]:
                return
            self.queued[room] = key
        queue = self._queue
        if not queue and self._offer is not None and self._offer(event):
            return
        if len(queue) >= self._limit:
            self.close(End.SLOW)
            return
        queue.append(event)
        self.wake()

    def anchor(self, room: str, key: StreamKey) -> None:
        """Sets where the client stands in a room: it has everything up to `key`."""
        self.anchors[room] = key
        if key > self.queued[room]:
            self.queued[room] = key

    def revoke(self, room: str, notice: Event) -> None:
        """The client may no longer read `room`: it is told by `notice`, then gets nothing more of
        it; a subscription to that room alone ends."""
        if room in self._revoked or room not in self.rooms:
            return
        if self.lane is not None:
            self.lane.leave(self)
        self.push(notice)
        self._revoked = self._revoked | {room}
        if len(self._revoked) == len(self.rooms):
            self.close(End.ACCESS, drain=True)

    def listen(self, offer: Offer | None, on_close: OnClose | None, seat: Seat | None = None) -> None:
        """`offer` writes an event at once if it can; `seat`, if given, lets the client ride its
        room's lane while it is up to date and idle."""
        if self.lane is not None:
            self.lane.leave(self)
        self._offer = offer
        self._on_close = on_close
        self._seat = seat

    def seat_for(self, key: StreamKey) -> Seat | None:
        """Its seat if it may join its room's lane now: just written the stored event `key`, of
        its only room, with nothing queued or being written, nothing revoked, still open."""
        seat = self._seat
        if (
            seat is None
            or self.lane is not None
            or self.closed
            or self._queue
            or self._revoked
            or len(self.rooms) != 1
            or self.queued[self.rooms[0]] != key
            or not seat.idle
        ):
            return None
        return seat

    def left_lane(self, last: StreamKey, written: int) -> None:
        """It left its room's lane, which had written it every event up to `last`, `written` of
        them since it joined."""
        room = self.rooms[0]
        if last > self.queued[room]:
            self.queued[room] = last
        if self._seat is not None:
            self._seat.left(room, last, written)

    def lane_share(self) -> int:
        """The events its lane wrote it so far (none out of a lane)."""
        return 0 if self.lane is None else self.lane.share(self)

    def wake(self) -> None:
        """Makes a pending `get()` return, with whatever is queued (maybe nothing)."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def close(self, reason: End, drain: bool = False) -> None:
        """Ends the subscription; with `drain`, what is queued is still delivered."""
        if self.closed:
            return
        if self.lane is not None:
            self.lane.leave(self)
        self.closed = True
        self.reason = reason
        self._offer = None
        if not drain:
            self._queue.clear()
        self.wake()
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close(reason)

    async def get(self) -> list[Event]:
        """Waits until something is queued or `wake()` is called, then takes every queued event;
        raises Closed once the subscription has ended."""
        if not self._queue and not self.closed:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.closed and not self._queue:
            raise Closed(self.reason)
        batch, self._queue = self._queue, []
        return batch
