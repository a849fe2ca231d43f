"""Who is online: every process records its own connected people, for all of them at once.

Each room has a sorted set of `name|instance` scored by when the entry expires. A process adds
its entry when someone's first connection in a room opens, lets it lapse after a short grace
when the last one closes (so a reconnect is no leave and join), and refreshes all its entries
together on a timer, so an idle client costs no Redis command. A process that dies stops
refreshing: its entries expire within `ttl`, and the next sweep by any process that serves the
room tells it that those people left.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from api.broker import keys, scripts
from api.domain.identity import Identity

logger = logging.getLogger(__name__)


def _names(members: Any) -> set[str]:
    return {str(m).rsplit("|", 1)[0] for m in members}


class Presence:
    def __init__(
        self, redis: Redis | RedisCluster, ttl_seconds: float, grace_seconds: float, guest_idle_seconds: int
    ) -> None:
        self._redis = redis
        self._cluster = isinstance(redis, RedisCluster)  # one call per room (and per guest) there
        self._ttl_ms = int(ttl_seconds * 1000)
        self._grace_ms = int(grace_seconds * 1000)
        self._guest_idle_ms = guest_idle_seconds * 1000
        self._instance = uuid.uuid4().hex[:12]
        self._local: dict[tuple[str, str], tuple[Identity, int]] = {}
        self._join = scripts.register(redis, "presence_join", "presence_lib")
        self._leave = scripts.register(redis, "presence_leave", "presence_lib")
        self._refresh = scripts.register(redis, "presence_refresh", "presence_lib")
        self._channel_prefix = keys.PREFIX + "{r:"
        self.redis_errors = 0  # caught here (and only logged): read by the metrics

    def _member(self, who: Identity) -> str:
        return f"{who.name}|{self._instance}"

    def _args(self, who: Identity) -> list[str | int]:
        now = int(time.time() * 1000)
        return ["", self._channel_prefix, now, now + self._ttl_ms, self._member(who), who.name]

    def _gone_args(self, who: Identity) -> list[str | int]:
        now = int(time.time() * 1000)
        return ["", self._channel_prefix, now, now, self._member(who), who.name]

    def _leave_args(self, who: Identity) -> list[str | int]:
        now = int(time.time() * 1000)
        return ["", self._channel_prefix, now, now + self._grace_ms, self._member(who), who.name]

    @asynccontextmanager
    async def present(self, rooms: tuple[str, ...], who: Identity | None) -> AsyncIterator[None]:
        """Marks `who` online in `rooms` for as long as the block runs."""
        if who is None:
            yield
            return
        joined = []
        renamed: list[tuple[str, Identity]] = []
        for room in rooms:
            slot = (room, who.user_id)
            had, count = self._local.get(slot, (who, 0))
            self._local[slot] = (who, count + 1)
            if count == 0:
                joined.append(room)
            elif had.name != who.name:
                # Renamed while another of their streams was open (the client opens the new one
                # before closing the old): the new name joins now and the old one leaves now,
                # rather than lingering until the next refresh.
                joined.append(room)
                renamed.append((room, had))
        if joined:
            await self._call(self._join, joined, self._args(who))
        for room, had in renamed:
            await self._call(self._leave, [room], self._gone_args(had))
        try:
            yield
        finally:
            left = []
            latest = who
            for room in rooms:
                slot = (room, who.user_id)
                # The entry speaks for the newest name of the account, whichever stream ends.
                latest, count = self._local[slot]
                if count > 1:
                    self._local[slot] = (latest, count - 1)
                    continue
                del self._local[slot]
                left.append(room)
            if left:
                # Shielded: a cancelled stream must still say goodbye (else expiry does, later).
                await asyncio.shield(self._call(self._leave, left, self._leave_args(latest)))

    async def _call(self, script: AsyncScript, rooms: list[str], args: list[str | int]) -> None:
        try:
            if self._cluster:
                await asyncio.gather(*(script(keys=[keys.presence(room)], args=args) for room in rooms))
            else:
                await script(keys=[keys.presence(room) for room in rooms], args=args)
        except RedisError as exc:
            self.redis_errors += 1
            logger.warning("presence update failed (%s); the next refresh repairs it", exc)

    async def online(self, room: str) -> list[str]:
        now = int(time.time() * 1000)
        members = await self._redis.zrangebyscore(keys.presence(room), now, "+inf")
        return sorted(_names(members), key=str.lower)

    async def online_counts(self, rooms: list[str]) -> dict[str, int]:
        now = int(time.time() * 1000)
        async with self._redis.pipeline(transaction=False) as pipe:
            for room in rooms:
                pipe.zrangebyscore(keys.presence(room), now, "+inf")
            replies = await pipe.execute()
        return {room: len(_names(members)) for room, members in zip(rooms, replies, strict=True)}

    async def refresh(self, watched: Iterable[str] = ()) -> None:
        """One script call for every local entry: extend them, keep guests' names, and sweep the
        expired entries of every room someone here follows, announcing who left."""
        entries = list(self._local.items())
        rooms = {room for (room, _) in self._local}
        sweep_only = [room for room in dict.fromkeys(watched) if room not in rooms]
        guests = {who.user_id: who for (_, _), (who, _) in entries if who.kind == "guest"}
        if not entries and not sweep_only:
            return
        if self._cluster:
            await self._refresh_on_cluster(entries, sweep_only, list(guests.values()))
            return
        now = int(time.time() * 1000)
        args: list[str | int] = ["", self._channel_prefix, now, now + self._ttl_ms, len(entries), len(sweep_only)]
        args += [self._member(who) for _, (who, _) in entries]
        for who in guests.values():
            args += [who.sid, self._guest_idle_ms]
        await self._refresh(
            keys=[keys.presence(room) for (room, _), _ in entries]
            + [keys.presence(room) for room in sweep_only]
            + [key for user_id in guests for key in (keys.sessions(user_id), keys.account(user_id))],
            args=args,
        )

    async def _refresh_on_cluster(
        self, entries: list[tuple[tuple[str, str], tuple[Identity, int]]], sweep_only: list[str], guests: list[Identity]
    ) -> None:
        """refresh() in one call per room and one per guest: a script reaches one slot there."""
        now = int(time.time() * 1000)
        head: list[str | int] = ["", self._channel_prefix, now, now + self._ttl_ms]
        members: dict[str, list[str]] = {room: [] for room in sweep_only}
        for (room, _), (who, _) in entries:
            members.setdefault(room, []).append(self._member(who))
        calls = [
            self._refresh(
                keys=[keys.presence(room)] * max(1, len(names)),
                args=[*head, len(names), 0 if names else 1, *names],
            )
            for room, names in members.items()
        ]
        calls += [
            self._refresh(
                keys=[keys.sessions(who.user_id), keys.account(who.user_id)],
                args=[*head, 0, 0, who.sid, self._guest_idle_ms],
            )
            for who in guests
        ]
        await asyncio.gather(*calls)

    async def run(self, every: float, watched: Callable[[], Iterable[str]]) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.refresh(watched())
            except RedisError as exc:
                self.redis_errors += 1
                logger.warning("presence refresh failed: %s", exc)
