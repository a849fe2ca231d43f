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


async def resume(store: MessageStore, sub: Subscription, room: str, after: StreamKey | None) -> AsyncIterator[Event]:
    """Anchors `sub` in `room` and yields what precedes the live events.

    With no `after`, the client starts at the newest message, told by a `ready` event whose id a
    reconnecting client sends back. With an `after` that is still kept, every message after it.
    Otherwise (trimmed away, or from a store that has since been wiped) a `reset` event that
    moves the client to the newest message, so it reloads history instead of missing a gap.
    """
    if after is None:
        newest = await store.newest(room)
        sub.anchor(room, newest)
        yield _marker(room, "ready", newest)
        return
    bounds = await store.bounds(room)
    if not bounds.resumable(after):
        newest = bounds.newest or (0, 0)
        sub.anchor(room, newest)
        oldest = format_stream_id(bounds.oldest) if bounds.oldest else None
        yield _marker(room, "reset", newest, oldest=oldest, requested=format_stream_id(after))
        return
    sub.anchor(room, after)
    async for entry_id, message in store.replay(room, after):
        yield Event(room, "message", message, entry_id)
