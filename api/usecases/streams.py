"""Opening a stream of live events: the access check, the subscription, where the client stands
in each room, and what it must be sent before any live event. SSE, WebSocket and long-poll all
open their streams here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from api.broker.hub import Hub
from api.broker.opening import StreamOpening
from api.broker.presence import Presence
from api.broker.store import Bounds, MessageStore
from api.broker.subscription import Subscription
from api.domain.identity import Identity
from api.domain.rooms import require_read
from api.wire.events import Event, marker
from api.wire.ids import ZERO, StreamKey, format_stream_id


@dataclass
class Opened:
    sub: Subscription
    markers: dict[str, Event | None]  # per room: where the client was put, unless it resumes
    catch_up: AsyncIterator[Event]  # each room's marker, or the messages it missed

    @property
    def reset(self) -> bool:
        """Whether some room could not resume where the client asked (trimmed, or wiped)."""
        return any(mark is not None and mark.kind == "reset" for mark in self.markers.values())


class Streams:
    def __init__(self, hub: Hub, store: MessageStore, opening: StreamOpening, presence: Presence) -> None:
        self._hub = hub
        self._store = store
        self._opening = opening
        self._presence = presence

    @asynccontextmanager
    async def open(
        self, rooms: tuple[str, ...], who: Identity | None, starts: dict[str, StreamKey | None], *, present: bool = True
    ) -> AsyncIterator[Opened]:
        """Subscribes `who` to `rooms`, checks each may be read, marks them online while the block
        runs, and positions every room before yielding: a Redis failure or a refusal is raised
        before the caller answers anything. The subscription comes first, so that an access change
        made after the check still reaches it (the hub applies it for the stream's life). One
        script reads the session and every room's access and bounds: a connect costs one Redis
        command, two with presence, however many rooms."""
        async with self._hub.subscribe(rooms, who) as sub:
            alive, states = await self._opening.read(rooms, who)
            if who is not None and not alive:
                # An ended session reads as anonymous: a stale cookie must not lock EventSource out.
                who = None
                states = {
                    room: replace(state, access=replace(state.access, member=False)) for room, state in states.items()
                }
            for room in rooms:
                require_read(room, states[room].access, who)
            if who is None or not present:
                # No presence to hold: one suspended generator fewer for each anonymous stream.
                markers = {room: _position(sub, room, starts.get(room), states[room].bounds) for room in rooms}
                yield Opened(sub, markers, self._catch_up(sub, markers))
                return
            async with self._presence.present(rooms, who):
                markers = {room: _position(sub, room, starts.get(room), states[room].bounds) for room in rooms}
                yield Opened(sub, markers, self._catch_up(sub, markers))

    async def _catch_up(self, sub: Subscription, markers: dict[str, Event | None]) -> AsyncIterator[Event]:
        for room, mark in markers.items():
            if mark is not None:
                yield mark
                continue
            async for event in self._store.replay(room, sub.anchors[room]):
                yield event


def _position(sub: Subscription, room: str, after: StreamKey | None, bounds: Bounds) -> Event | None:
    """Anchors `sub` in `room`: where the client stands before any live event.

    With no `after`, the client starts at the newest message, told by a `ready` event whose id a
    reconnecting client sends back. With an `after` that is still kept, right there (None: the
    messages after it are to be replayed). Otherwise (trimmed away, or from a store that has
    since been wiped) a `reset` event moves the client to the newest message, so that it reloads
    history instead of missing a gap.
    """
    if after is None:
        newest = bounds.newest or ZERO
        sub.anchor(room, newest)
        return marker(room, "ready", newest)
    if not bounds.resumable(after):
        newest = bounds.newest or ZERO
        sub.anchor(room, newest)
        oldest = format_stream_id(bounds.oldest) if bounds.oldest else None
        return marker(room, "reset", newest, oldest=oldest, requested=format_stream_id(after))
    sub.anchor(room, after)
    return None
