"""The per-process subscriber: one backend subscription fanned out to every local client."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import random
from collections.abc import Collection

from redis.exceptions import RedisError

from api.broker import keys
from api.broker.access_cache import AccessCache
from api.broker.backend import RESYNC, Backend
from api.broker.fanout import fan_out, push_sliced
from api.broker.gap import Gap
from api.broker.lane import Lane
from api.broker.subscribing import Subscribing
from api.broker.subscription import End, Subscription
from api.domain.identity import Identity
from api.domain.rooms import readable_after
from api.wire.events import HEARTBEAT, Event

logger = logging.getLogger(__name__)


class Hub:
    """Pushes each live event to the local subscribers of its room.

    After the backend fails it reconnects with backoff, then reads from each room's stream what
    the local subscribers missed while it was away, before any newer live event.
    """

    def __init__(
        self, backend: Backend, *, queue_size: int, heartbeat_seconds: float, retry_max_seconds: float
    ) -> None:
        self._backend = backend
        self._queue_size = queue_size
        self._heartbeat_seconds = heartbeat_seconds
        self._retry_max = retry_max_seconds
        self._rooms: dict[str, set[Subscription]] = {}
        self._lanes: dict[str, Lane] = {}  # per room, its clients written to at once (lane.py)
        self._all: set[Subscription] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.connected = asyncio.Event()
        self.draining = False
        self.redis_errors = 0  # the reader's lost connections and failed reconnects: read by the metrics
        self.cache = AccessCache()
        self._adding: dict[str, asyncio.Future[None]] = {}  # channels being added to the backend
        # What the streams missed while the subscriber was away, and what no stream stores.
        self.gap = Gap(self._rooms, backend, self.cache, self.publish_local)

    @property
    def subscriber_count(self) -> int:
        return len(self._all)

    def local_rooms(self) -> list[str]:
        """The rooms some client of this process follows."""
        return list(self._rooms)

    def _start(self) -> None:
        # Started by the first subscriber: a process that only takes sends (a serverless function
        # answering POSTs) never opens the subscriber connection. In a context of their own: they
        # outlive that request, and must not log under its id.
        self._tasks = [
            asyncio.create_task(self._run(), name="hub-reader", context=contextvars.Context()),
            asyncio.create_task(self._heartbeat(), name="hub-heartbeat", context=contextvars.Context()),
        ]

    def drain(self) -> None:
        """The process is stopping: every subscription ends now, and every later one as it is
        made (its client comes back by id, to another process or this one's successor)."""
        self.draining = True
        for sub in list(self._all):
            sub.close(End.SHUTDOWN)

    async def stop(self, wait: float = 5) -> None:
        # Python 3.11 can turn a cancellation that meets redis-py's read timeout into a plain
        # timeout, which the reader takes for an idle connection: the flag ends it anyway.
        self._stopping = True
        self.drain()
        for task in self._tasks:
            task.cancel()
        await self._backend.disconnect()
        if self._tasks:
            # redis-py can take a cancellation inside a blocking read and go on awaiting its
            # connection's teardown: do not let that hold up the process's shutdown.
            _, stuck = await asyncio.wait(self._tasks, timeout=wait)
            if stuck:
                logger.warning("the hub reader did not stop within %.1f s; leaving it", wait)
        self._tasks = []
        await self._backend.close()

    def subscribe(self, rooms: tuple[str, ...], viewer: Identity | None = None) -> Subscribing:
        """Registers a client before it checks access, reads its position or replays history, so
        that nothing published meanwhile (an access change included) is missed; the caller then
        anchors each room. A signed-in client also follows its own channel (membership, sign-out)."""
        return Subscribing(self, rooms, viewer)

    def _register(self, sub: Subscription, channels: tuple[str, ...]) -> list[str]:
        """Adds `sub` to its channels; returns those no local client followed before."""
        if not self._tasks:
            self._start()
        if self.draining:
            sub.close(End.SHUTDOWN)
        self._all.add(sub)
        new = [room for room in channels if room not in self._rooms]
        for room in channels:
            self._rooms.setdefault(room, set()).add(sub)
        return new

    async def _follow(self, new: list[str], channels: tuple[str, ...]) -> None:
        """Returns once the backend hears all of `channels`: adds those `new` here, and waits for
        those another client is adding (a room read before its subscription is confirmed could
        miss what is published meanwhile, and so could the cache)."""
        if not self.connected.is_set() or self._backend.follows_all:
            return
        adding = self._adding
        waits = {adding[channel] for channel in channels if channel in adding}
        if new:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            adding.update(dict.fromkeys(new, done))
            try:
                await self._backend.add_rooms(new)
            except BaseException:
                done.set_exception(ConnectionError("subscribing to Redis failed"))
                done.exception()  # retrieved here: whoever waits on it raises it again
                raise
            else:
                done.set_result(None)
            finally:
                for channel in new:
                    if adding.get(channel) is done:
                        del adding[channel]
        if waits:
            # Not gather: a waiter cancelled (its client left) must not cancel the shared future.
            await asyncio.wait(waits)
            for waited in waits:
                waited.result()  # raises if subscribing failed

    async def _unregister(self, sub: Subscription, channels: tuple[str, ...]) -> None:
        sub.close(End.DONE)
        self._all.discard(sub)
        await self._leave(sub, channels)

    async def _leave(self, sub: Subscription, channels: tuple[str, ...]) -> None:
        """Takes `sub` off `channels`; those no local client follows any more are let go."""
        gone = []
        for room in channels:
            subs = self._rooms.get(room)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._rooms[room]
                    self._lanes.pop(room, None)
                    gone.append(room)
        if gone and not self._backend.follows_all:
            for channel in gone:
                self.cache.let_go(channel)
        if gone and self.connected.is_set():
            await self._backend.remove_rooms(gone)

    def publish_local(self, event: Event) -> None:
        for sub in self._audience(event):
            sub.push(event)

    def _audience(self, event: Event) -> tuple[Subscription, ...]:
        """The local subscribers `event` goes to (none for an access change, applied here)."""
        kind = event.kind
        if event.key is not None:
            self.cache.heard(event.room, event.key)
        elif kind == "access" or kind == "session_end":
            self._apply_change(event, self._rooms.get(event.room, ()))
            return ()
        subs = self._rooms.get(event.room)
        return tuple(subs) if subs else ()

    def _apply_change(self, event: Event, subs: Collection[Subscription]) -> None:
        """Access changes and ended sessions hold for the life of every stream they concern, and
        for what the cache keeps."""
        room = event.room
        try:
            change = json.loads(event.data)
        except ValueError:
            logger.warning("ignoring a malformed %s event", event.kind)
            # Whatever it was about, nothing kept of it is to be trusted.
            self.cache.clear()
            return
        if event.kind == "session_end":
            sid = change.get("sid") if isinstance(change, dict) else None
            if room.startswith(keys.USER_ROOM) and isinstance(sid, str):
                self.cache.session_ended(room[len(keys.USER_ROOM) :], sid)
            else:
                self.cache.clear()
            for sub in tuple(subs):
                if sub.viewer is not None and sub.viewer.sid == sid:
                    sub.close(End.REVOKED)
            return
        self.cache.access_changed(room)
        if not isinstance(change, dict):
            return
        notice = Event(room, "access", json.dumps({"room": room, "readable": False}))
        for sub in tuple(subs):
            if readable_after(change, sub.viewer.user_id if sub.viewer else None) is False:
                sub.revoke(room, notice)

    async def _catch_up(self, rooms: list[str]) -> None:
        """What `rooms` missed while the subscriber was away: their lanes are let go first (the
        catch-up is given each client by its own position)."""
        for room in rooms:
            lane = self._lanes.pop(room, None)
            if lane is not None:
                lane.dissolve()
        await self.gap.catch_up(rooms)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            await push_sliced(tuple(self._all), HEARTBEAT)

    async def _run(self) -> None:
        attempt = 0
        backend = self._backend
        while not self._stopping:
            try:
                subscribed = set(self.local_rooms())
                await backend.connect(list(subscribed))
                await self._catch_up(list(self._rooms))
                # Rooms first followed while connecting were not added to the backend (it was not
                # connected): add them before the hub says it is, with nothing awaited in between.
                while missing := [room for room in self._rooms if room not in subscribed]:
                    await backend.add_rooms(missing)
                    subscribed.update(missing)
                    await self._catch_up(missing)
                self.connected.set()
                if attempt:
                    logger.info("hub reconnected to Redis")
                attempt = 0
                while not self._stopping:
                    event = await backend.next_event(self._heartbeat_seconds * 2)
                    if event is None:
                        continue
                    if event.kind == RESYNC:
                        self.cache.let_go(event.room)
                        await self._catch_up([event.room])
                    else:
                        await fan_out(self._lanes, self._audience(event), event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopping:
                    return
                # Whatever failed, this process must not go on deaf while it reports itself live.
                self.connected.clear()
                self.cache.clear()
                delay = min(self._retry_max, 0.1 * 2**attempt) * (0.5 + random.random() / 2)
                attempt += 1
                if isinstance(exc, RedisError | OSError):
                    self.redis_errors += 1
                    logger.warning("hub lost Redis (%s); reconnecting in %.2fs", exc, delay)
                else:
                    logger.exception("hub reader failed; reconnecting in %.2fs", delay)
                await backend.disconnect()
                await asyncio.sleep(delay)
