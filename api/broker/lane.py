"""A room's fast lane: its clients that have every event so far and nothing waiting, written to
straight away by the fan-out.

In a fan-out to thousands of clients, each Python object a delivery reads (the subscription, its
positions, its delivery, the writer) is a cache miss per client: together they cost a third as
much as the system call that writes. A member of a lane is only its transport: the fan-out (fanout.py)
writes the event, framed once, to every member's transport whose buffer is empty. A member whose socket is not taking
writes at once, or that is closing, falls out of the lane and gets the event the ordinary way (its
subscription and delivery queue it, bound the queue and end a client too slow).

Invariants:
- every member was written every event of the room up to `last` and, after it, only what the lane
  wrote to all of them: a stored event at or below `last` is never written to a member again;
- a member is idle when it joins: nothing queued, nothing being written;
- a member leaves before anything could write it a stored event another way (a catch-up after the
  subscriber was away, an access change), and when it closes; on leaving, its subscription and
  delivery are told where it stands (`last`) and how many events the lane wrote it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from api.wire.events import Event
from api.wire.ids import StreamKey

if TYPE_CHECKING:
    from api.broker.subscription import Subscription


class Seat(Protocol):
    """What a client's delivery offers for riding a lane (SSE streams of one room, written
    straight to their socket)."""

    @property
    def transport(self) -> asyncio.WriteTransport: ...

    @property
    def frame(self) -> Callable[[Event], bytes]: ...

    @property
    def idle(self) -> bool: ...

    def left(self, room: str, last: StreamKey, written: int) -> None: ...


class Lane:
    __slots__ = ("count", "frame", "joined", "last", "members")

    def __init__(self, frame: Callable[[Event], bytes], last: StreamKey) -> None:
        self.frame = frame  # event -> the bytes written to every member
        self.last = last
        self.count = 0  # events written through the lane: a member's share is the count since it joined
        self.members: dict[Subscription, asyncio.WriteTransport] = {}
        self.joined: dict[Subscription, int] = {}

    def join(self, sub: Subscription, transport: asyncio.WriteTransport) -> None:
        self.members[sub] = transport
        self.joined[sub] = self.count
        sub.lane = self

    def leave(self, sub: Subscription) -> None:
        if self.members.pop(sub, None) is None:
            return
        written = self.count - self.joined.pop(sub)
        sub.lane = None
        sub.left_lane(self.last, written)

    def share(self, sub: Subscription) -> int:
        """The events the lane wrote `sub` since it joined."""
        mark = self.joined.get(sub)
        return 0 if mark is None else self.count - mark

    def dissolve(self) -> None:
        for sub in list(self.members):
            self.leave(sub)
