"""Opening a stream of live events: the access check, the subscription, where the client stands
in each room, and what it must be sent before any live event. SSE, WebSocket and long-poll all
open their streams here."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from types import TracebackType

from api.broker.hub import Hub
from api.broker.opening import StreamOpening
from api.broker.presence import Presence
from api.broker.store import Bounds, MessageStore
from api.broker.subscribing import Subscribing
from api.broker.subscription import Subscription
from api.domain.identity import Identity
from api.domain.rooms import require_read
from api.wire.events import Event, marker
from api.wire.ids import ZERO, StreamKey, format_stream_id


@dataclass(slots=True)
class Opened:
    sub: Subscription
    markers: dict[str, Event | None]  # per room: where the client was put, unless it resumes
    catch_up: AsyncIterator[Event]  # each room's marker, or the messages it missed

    @property
    def reset(self) -> bool:
        """Whether some room could not resume where the client asked (trimmed, or wiped)."""
        return any(mark is not None and mark.kind == "reset" for mark in self.markers.values())


_Args = tuple[tuple[str, ...], Identity | None, dict[str, StreamKey | None], bool]


class Streams:
    def __init__(self, hub: Hub, store: MessageStore, opening: StreamOpening, presence: Presence) -> None:
        self._hub = hub
        self._store = store
        self._opening = opening
        self._presence = presence

    def open(
        self, rooms: tuple[str, ...], who: Identity | None, starts: dict[str, StreamKey | None], *, present: bool = True
    ) -> Opening:
        """Subscribes `who` to `rooms`, checks each may be read, marks them online while the block
        runs, and positions every room on entering: a Redis failure or a refusal is raised
        before the caller answers anything. The subscription comes first, so that an access change
        made after the check still reaches it (the hub applies it for the stream's life). One
        script reads the session and every room's access and bounds, however many rooms, unless
        the hub's cache knows them all: a connect costs one Redis command or none, and one more
        for presence."""
        return Opening(self, rooms, who, starts, present)

    async def _check(
        self, rooms: tuple[str, ...], who: Identity | None, starts: dict[str, StreamKey | None]
    ) -> tuple[Identity | None, dict[str, Bounds]]:
        """Checks `who` may read every room; returns who it is (None once its session ended) and
        each room's bounds. From the hub's cache when it knows all of it (no Redis command), else
        from one read, which then fills the cache."""
        hub = self._hub
        cache = hub.cache
        connected = hub.connected.is_set()
        hit = cache.lookup(rooms, who, starts) if connected else None
        if hit is not None:
            alive, found = hit
            access = found.access
            # Only a client starting at the newest id is answered from the cache: nothing to replay.
            bounds = {room: Bounds(newest, newest) for room, newest in found.newest.items()}
        else:
            reading = cache.begin(rooms)
            try:
                alive, states = await self._opening.read(rooms, who)
                access = {room: state.access for room, state in states.items()}
                bounds = {room: state.bounds for room, state in states.items()}
                if connected and hub.connected.is_set():
                    cache.fill(reading, who, alive, access, {room: b.newest for room, b in bounds.items()})
            finally:
                cache.end(reading)
        if who is not None and not alive:
            # An ended session reads as anonymous: a stale cookie must not lock EventSource out.
            who = None
            access = {room: replace(seen, member=False) for room, seen in access.items()}
        for room in rooms:
            require_read(room, access[room], who)
        return who, bounds

    def _opened(
        self, sub: Subscription, rooms: tuple[str, ...], starts: dict[str, StreamKey | None], bounds: dict[str, Bounds]
    ) -> Opened:
        markers = {room: _position(sub, room, starts.get(room), bounds[room]) for room in rooms}
        # A client that has its room's newest id has nothing to replay: what follows comes live.
        current = {room for room in rooms if markers[room] is None and starts.get(room) == bounds[room].newest}
        return Opened(sub, markers, self._catch_up(sub, markers, current))

    async def _catch_up(
        self, sub: Subscription, markers: dict[str, Event | None], current: set[str]
    ) -> AsyncIterator[Event]:
        for room, mark in markers.items():
            if mark is not None:
                yield mark
                continue
            if room in current:
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


class Opening:
    """The context of `Streams.open`: a class, not a generator, as thousands of idle streams each
    hold one for their whole life. On leaving, presence ends before the subscription, as nested
    blocks would. What only entering needs is let go once entered."""

    __slots__ = ("_args", "_presence", "_streams", "_subscribing")

    def __init__(
        self,
        streams: Streams,
        rooms: tuple[str, ...],
        who: Identity | None,
        starts: dict[str, StreamKey | None],
        present: bool,
    ) -> None:
        self._streams = streams
        self._args: _Args | None = (rooms, who, starts, present)
        self._subscribing: Subscribing | None = None
        self._presence: AbstractAsyncContextManager[None] | None = None

    async def __aenter__(self) -> Opened:
        assert self._args is not None, "an Opening is entered once"
        (rooms, viewer, starts, present), self._args = self._args, None
        streams = self._streams
        subscribing = self._subscribing = streams._hub.subscribe(rooms, viewer)
        sub = await subscribing.__aenter__()
        try:
            who, bounds = await streams._check(rooms, viewer, starts)
            if who is None and viewer is not None:
                await subscribing.as_anonymous()  # its session had already ended
            if who is not None and present:
                presence = streams._presence.present(rooms, who)
                await presence.__aenter__()
                # Anonymous streams hold no presence: one context fewer for each.
                self._presence = presence
            return streams._opened(sub, rooms, starts, bounds)
        except BaseException:
            await self.__aexit__(*sys.exc_info())
            raise

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        presence, self._presence = self._presence, None
        subscribing, self._subscribing = self._subscribing, None
        try:
            if presence is not None:
                await presence.__aexit__(exc_type, exc, tb)
        finally:
            if subscribing is not None:
                await subscribing.__aexit__(exc_type, exc, tb)
