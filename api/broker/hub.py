"""The per-process subscriber: one Redis pub/sub connection fanned out to every local client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.broker import keys
from api.broker.store import MessageStore
from api.broker.subscription import HEARTBEAT, Subscription
from api.wire.events import Event, decode_envelope

logger = logging.getLogger(__name__)


class Hub:
    """Holds one PSUBSCRIBE for every room and pushes each event to the local subscribers.

    After the connection drops it reconnects with backoff, then reads from each room's stream
    what the local subscribers missed while it was away, before any newer live event.
    """

    def __init__(
        self,
        pubsub_redis: Redis,
        store: MessageStore,
        *,
        queue_size: int,
        heartbeat_seconds: float,
        retry_max_seconds: float,
    ) -> None:
        self._redis = pubsub_redis
        self._store = store
        self._queue_size = queue_size
        self._heartbeat_seconds = heartbeat_seconds
        self._retry_max = retry_max_seconds
        self._rooms: dict[str, set[Subscription]] = {}
        self._all: set[Subscription] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self.connected = asyncio.Event()

    @property
    def subscriber_count(self) -> int:
        return len(self._all)

    def local_rooms(self) -> list[str]:
        """The rooms some client of this process follows."""
        return list(self._rooms)

    def _start(self) -> None:
        # Started by the first subscriber: a process that only takes sends (a serverless function
        # answering POSTs) never opens the subscriber connection.
        self._tasks = [
            asyncio.create_task(self._run(), name="hub-reader"),
            asyncio.create_task(self._heartbeat(), name="hub-heartbeat"),
        ]

    async def stop(self) -> None:
        for sub in list(self._all):
            sub.close("shutdown")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._redis.aclose()

    @asynccontextmanager
    async def subscribe(self, rooms: tuple[str, ...]) -> AsyncIterator[Subscription]:
        """Registers a client before it reads its position or replays history, so that nothing
        published meanwhile is missed; the caller then anchors each room (see resume.py)."""
        if not self._tasks:
            self._start()
        sub = Subscription(rooms, self._queue_size)
        self._all.add(sub)
        for room in sub.rooms:
            self._rooms.setdefault(room, set()).add(sub)
        try:
            yield sub
        finally:
            sub.close(sub.reason or "done")
            self._all.discard(sub)
            for room in sub.rooms:
                subs = self._rooms.get(room)
                if subs is not None:
                    subs.discard(sub)
                    if not subs:
                        del self._rooms[room]

    def publish_local(self, event: Event) -> None:
        subs = self._rooms.get(event.room)
        if subs:
            for sub in tuple(subs):
                sub.push(event)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            for sub in tuple(self._all):
                sub.push(HEARTBEAT)

    async def _run(self) -> None:
        attempt = 0
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.psubscribe(keys.LIVE_PATTERN)
                # Live once Redis confirms the subscription; only then is catching up gap-free.
                while True:
                    msg = await pubsub.get_message(timeout=None)
                    if msg is not None and msg["type"] == "psubscribe":
                        break
                await self._catch_up()
                self.connected.set()
                if attempt:
                    logger.info("hub reconnected to Redis")
                attempt = 0
                await self._read(pubsub)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                self.connected.clear()
                delay = min(self._retry_max, 0.1 * 2**attempt) * (0.5 + random.random() / 2)
                attempt += 1
                logger.warning("hub lost Redis (%s); reconnecting in %.2fs", exc, delay)
                await asyncio.sleep(delay)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _read(self, pubsub: PubSub) -> None:
        prefix = len(keys.LIVE_PREFIX)
        while True:
            msg = await pubsub.get_message(timeout=self._heartbeat_seconds * 2)
            if msg is None:
                # Idle: make sure the connection is still there rather than silently half-open.
                await pubsub.ping()
                continue
            if msg["type"] != "pmessage":
                continue
            try:
                event = decode_envelope(msg["channel"][prefix:], msg["data"])
            except ValueError:
                logger.warning("ignoring a malformed event on %s", msg["channel"])
                continue
            self.publish_local(event)

    async def _catch_up(self) -> None:
        for room, subs in list(self._rooms.items()):
            positions = [sub.queued[room] for sub in subs if room not in sub.unanchored]
            if not positions:
                continue
            start = min(positions)
            async for entry_id, message in self._store.replay(room, start):
                self.publish_local(Event(room, "message", message, entry_id))
