"""One event to every local client of its room: through the room's lane (lane.py) to those up to
date and idle, the ordinary way (subscription, then delivery) to the others, who join the lane
once they are."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import TypeVar

from api.broker.lane import Lane
from api.broker.subscription import Subscription
from api.wire.events import Event

# A fan-out gives the event loop back after this many clients, so that what arrived meanwhile
# (a send, whose Redis round trip then overlaps the rest of the fan-out; a connect; another room's
# reply) waits for a slice, not for a whole room of thousands.
FAN_OUT_SLICE = 32

T = TypeVar("T")


async def _slices(items: Sequence[T]) -> AsyncIterator[Sequence[T]]:
    """`items`, FAN_OUT_SLICE at a time, the event loop given back between two."""
    for start in range(0, len(items), FAN_OUT_SLICE):
        if start:
            await asyncio.sleep(0)
        yield items[start : start + FAN_OUT_SLICE]


async def push_sliced(subs: Sequence[Subscription], event: Event) -> None:
    """Pushes `event` to `subs`, FAN_OUT_SLICE at a time: the others wait their turn in order,
    the room's next event is not read before the last of them has this one."""
    async for part in _slices(subs):
        for sub in part:
            sub.push(event)


async def fan_out(lanes: dict[str, Lane], subs: Sequence[Subscription], event: Event) -> None:
    """Gives `event` to `subs`, its room's local clients (lane members among them)."""
    room, key = event.room, event.key
    lane = lanes.get(room)
    others: Sequence[Subscription] = subs
    if lane is not None:
        if lane.members and (key is None or key > lane.last):
            await _write_lane(lane, event)  # those that fell out are no longer members
        if key is not None and key > lane.last:
            lane.last = key
        if lane.members:
            members = lane.members
            others = [sub for sub in subs if sub not in members]
    if key is None:
        await push_sliced(others, event)
        return
    async for part in _slices(others):
        for sub in part:
            sub.push(event)
            seat = sub.seat_for(key)
            if seat is not None:
                lane = lanes.get(room)
                if lane is None:
                    lane = lanes[room] = Lane(seat.frame, key)
                if lane.last == key and seat.frame is lane.frame:
                    lane.join(sub, seat.transport)


async def _write_lane(lane: Lane, event: Event) -> None:
    """Writes `event` to every member of `lane` whose socket takes it at once; the others leave
    (told the last event they have), and the caller gives it them the ordinary way."""
    payload = lane.frame(event)
    members = lane.members
    async for part in _slices(tuple(members.items())):
        for sub, transport in part:
            if sub not in members:
                continue  # left meanwhile (closed, or no longer allowed to read)
            if transport.get_write_buffer_size() or transport.is_closing():
                lane.leave(sub)
                continue
            try:
                transport.write(payload)
            except Exception:
                lane.leave(sub)
    lane.count += 1
