"""Where a (re)connecting client starts in a room, and what it must be sent before live events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from api.broker.store import MessageStore
from api.broker.subscription import Subscription
from api.wire.events import Event, StreamKey, format_stream_id


def _marker(room: str, kind: str, key: StreamKey, **extra: object) -> Event:
    id = format_stream_id(key)
    data = json.dumps({"room": room, "id": id, **extra}, separators=(",", ":"))
    return Event(room, kind, data, id=id, marker=True)


async def position(store: MessageStore, sub: Subscription, room: str, after: StreamKey | None) -> Event | None:
    """Anchors `sub` in `room`: where the client stands before any live event.

    With no `after`, the client starts at the newest message, told by a `ready` event whose id a
    reconnecting client sends back. With an `after` that is still kept, right there (None: the
    messages after it are to be replayed). Otherwise (trimmed away, or from a store that has
    since been wiped) a `reset` event moves the client to the newest message, so that it reloads
    history instead of missing a gap.
    """
    if after is None:
        newest = await store.newest(room)
        sub.anchor(room, newest)
        return _marker(room, "ready", newest)
    bounds = await store.bounds(room)
    if not bounds.resumable(after):
        newest = bounds.newest or (0, 0)
        sub.anchor(room, newest)
        oldest = format_stream_id(bounds.oldest) if bounds.oldest else None
        return _marker(room, "reset", newest, oldest=oldest, requested=format_stream_id(after))
    sub.anchor(room, after)
    return None


async def resume(store: MessageStore, sub: Subscription, starts: dict[str, StreamKey | None]) -> AsyncIterator[Event]:
    """Anchors every room first (so that a stream's ids name every room's real position from
    its first frame), then yields each room's marker or the messages it missed."""
    markers = {room: await position(store, sub, room, after) for room, after in starts.items()}
    for room, marker in markers.items():
        if marker is not None:
            yield marker
            continue
        async for entry_id, message in store.replay(room, sub.sent[room]):
            yield Event(room, "message", message, entry_id)
