"""Where the hub's live events come from: a small interface, and its implementation on one Redis.

A backend delivers every event published for the rooms it was told of, in order per room, and
can read back what a room's stream holds after an id (to catch up after a reconnect). One Redis
uses a single pattern subscription, so adding and removing rooms costs nothing; on a Redis Cluster
the backend subscribes per room on the shard that owns it (sharded pub/sub, sharded.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Protocol

from redis.asyncio import Redis

from api.broker import keys
from api.broker.feed import PatternFeed
from api.broker.store import MessageStore
from api.wire.events import Event
from api.wire.ids import StreamKey

logger = logging.getLogger(__name__)

# An event a backend gives for a room whose subscription it had to make again (its slot moved to
# another shard): the hub then catches that room up from its stream before any newer live event.
RESYNC = "resync"


class Backend(Protocol):
    # Whether every room's and account's events reach it while connected, followed or not (one
    # pattern subscription), rather than only those of the rooms it was told of.
    follows_all: bool

    async def connect(self, rooms: list[str]) -> None:
        """Subscribes (again) and returns once events of `rooms` flow; raises if Redis is away."""

    async def add_rooms(self, rooms: list[str]) -> None: ...

    async def remove_rooms(self, rooms: list[str]) -> None: ...

    async def next_event(self, idle_seconds: float) -> Event | None:
        """The next event; None after `idle_seconds` of silence, once the connection proved alive;
        a RESYNC event when a room must be caught up from its stream."""

    def catch_up(self, room: str, after: StreamKey) -> AsyncIterator[Event]:
        """The stored events of `room` after `after`, oldest first."""

    async def disconnect(self) -> None: ...

    async def close(self) -> None: ...


async def stored_after(store: MessageStore, room: str, after: StreamKey) -> AsyncIterator[Event]:
    """A backend's catch-up: a room's stored events after `after`; none for a person's own
    channel, whose events are not stored."""
    if room.startswith(keys.USER_ROOM):
        return
    async for event in store.replay(room, after):
        yield event


class RedisPubSub:
    """One PSUBSCRIBE on every room's live channel, on one Redis connection (feed.py)."""

    follows_all = True

    def __init__(self, redis: Redis, store: MessageStore, timeout: float) -> None:
        """`redis` makes the connection, subscribed within `timeout`."""
        self._redis = redis
        self._store = store
        self._timeout = timeout
        self._feed: PatternFeed | None = None

    async def connect(self, rooms: list[str]) -> None:
        await self.disconnect()
        # Live once Redis confirms both subscriptions; only then is catching up gap-free.
        patterns = (keys.ROOM_LIVE_PATTERN, keys.USER_LIVE_PATTERN)
        self._feed = await PatternFeed.open(self._redis.connection_pool, patterns, self._timeout)

    async def add_rooms(self, rooms: list[str]) -> None:
        return None

    async def remove_rooms(self, rooms: list[str]) -> None:
        return None

    async def next_event(self, idle_seconds: float) -> Event | None:
        feed = self._feed
        if feed is None:
            raise ConnectionError("not connected")
        return await feed.next(idle_seconds)

    def catch_up(self, room: str, after: StreamKey) -> AsyncIterator[Event]:
        return stored_after(self._store, room, after)

    async def disconnect(self) -> None:
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()

    async def close(self) -> None:
        await self.disconnect()
        await self._redis.aclose()
