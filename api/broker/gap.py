"""What a process's streams missed while its subscriber was away (a lost connection, a slot moved
on a cluster): the events each room's stream stores are read back, and what no stream stores, the
access changes and the ended sessions of that time, is asked of Redis again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from api.broker import keys
from api.broker.access_cache import AccessCache
from api.broker.backend import Backend
from api.broker.subscription import End, Subscription
from api.wire.events import Event

# Rooms caught up at a time (their reads pipelined on the shared Redis connection).
AT_ONCE = 64


class Gap:
    def __init__(
        self,
        rooms: dict[str, set[Subscription]],
        backend: Backend,
        cache: AccessCache,
        publish: Callable[[Event], None],
    ) -> None:
        self._rooms = rooms
        self._backend = backend
        self._cache = cache
        self._publish = publish
        # Who of some user ids may read a room (None: everyone).
        self.readers: Callable[[str, list[str]], Awaitable[set[str] | None]] | None = None
        # Which of some session ids of a user are alive.
        self.sessions: Callable[[str, list[str]], Awaitable[set[str]]] | None = None

    async def catch_up(self, rooms: list[str]) -> None:
        """Checks again and catches up `rooms`, AT_ONCE at a time: their reads go out together, not
        a round trip each. Each room's events still arrive in order; the first failure stops the
        others."""
        limit = asyncio.Semaphore(AT_ONCE)

        async def one(room: str) -> None:
            async with limit:
                if room.startswith(keys.USER_ROOM):
                    await self._recheck_sessions(room)
                else:
                    await self._catch_up_room(room)

        try:
            async with asyncio.TaskGroup() as group:
                for room in rooms:
                    group.create_task(one(room))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None

    async def _catch_up_room(self, room: str) -> None:
        subs = self._rooms.get(room, set())
        positions = [sub.queued[room] for sub in subs if room in sub.anchors]
        if positions:
            await self._recheck(room)
            async for event in self._backend.catch_up(room, min(positions)):
                self._publish(event)

    async def _recheck(self, room: str) -> None:
        """Revokes `room` from the local streams that may no longer read it: the access changes of
        the gap are not in the stream that the catch-up reads."""
        subs = self._rooms.get(room)
        if self.readers is None or not subs:
            return
        allowed = await self.readers(room, sorted({sub.viewer.user_id if sub.viewer else "" for sub in subs}))
        if allowed is None:
            return
        notice = Event(room, "access", json.dumps({"room": room, "readable": False}))
        for sub in tuple(subs):
            if (sub.viewer.user_id if sub.viewer else "") not in allowed:
                sub.revoke(room, notice)

    async def _recheck_sessions(self, channel: str) -> None:
        """Ends the local streams of the sessions of `channel`'s account that ended during the gap:
        their session_end events, like every event of an account's channel, are not stored."""
        subs = self._rooms.get(channel)
        sids = sorted({sub.viewer.sid for sub in subs or () if sub.viewer is not None})
        if self.sessions is None or not sids:
            return
        user_id = channel[len(keys.USER_ROOM) :]
        ended = set(sids) - await self.sessions(user_id, sids)
        for sid in ended:
            self._cache.session_ended(user_id, sid)
        # Read again, for the ended ones only: a stream opened meanwhile was checked by its opening.
        for sub in tuple(self._rooms.get(channel, ())):
            if sub.viewer is not None and sub.viewer.sid in ended:
                sub.close(End.REVOKED)
