"""What opening a stream reads from Redis, for every room at once, in one script call: the
viewer's session, and each room's access and the ids its stream keeps. On a Redis Cluster, where
a script reaches one slot, the session, the room index and each room are read at once, in calls
of their own."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis, RedisCluster

from api.broker import keys, scripts
from api.broker.store import Bounds
from api.domain.identity import Identity
from api.domain.rooms import Access
from api.wire.ids import parse_stream_id


@dataclass(frozen=True)
class RoomState:
    access: Access
    bounds: Bounds


class StreamOpening:
    """What opening a stream reads, for every room at once: one script call."""

    def __init__(self, redis: Redis | RedisCluster) -> None:
        self._redis = redis
        self._cluster = isinstance(redis, RedisCluster)
        self._open = scripts.register(redis, "open_stream")
        self._open_room = scripts.register(redis, "open_room")

    async def read(self, rooms: tuple[str, ...], who: Identity | None) -> tuple[bool, dict[str, RoomState]]:
        """Whether `who`'s session is alive (False when anonymous), and each room's state."""
        user_id = who.user_id if who else ""
        if self._cluster:
            reply = await self._read_on_cluster(rooms, who)
        else:
            room_keys = [key for room in rooms for key in (keys.room(room), keys.members(room), keys.stream(room))]
            reply = await self._open(
                keys=[keys.sessions(user_id or "-"), keys.ROOMS, *room_keys],
                args=[user_id, who.sid if who else "", *rooms],
            )
        states = {}
        for room, (exists, private, member, oldest, newest) in zip(rooms, reply[1:], strict=True):
            access = Access(exists=bool(exists), private=bool(private), member=bool(member))
            bounds = Bounds(parse_stream_id(oldest) if oldest else None, parse_stream_id(newest) if newest else None)
            states[room] = RoomState(access, bounds)
        return bool(reply[0]), states

    async def _read_on_cluster(self, rooms: tuple[str, ...], who: Identity | None) -> list[Any]:
        """The reply open_stream.lua gives, from calls made at once: one per room, the session's
        and the room index's."""
        user_id = who.user_id if who else ""

        async def alive() -> bool:
            return who is not None and bool(await self._redis.hexists(keys.sessions(who.user_id), who.sid))

        async def room_state(room: str) -> Any:
            return await self._open_room(keys=[keys.room(room), keys.members(room), keys.stream(room)], args=[user_id])

        session, indexed, *states = await asyncio.gather(
            alive(), self._redis.zmscore(keys.ROOMS, list(rooms)), *(room_state(room) for room in rooms)
        )
        result: list[Any] = [1 if session else 0]
        for score, (has_meta, private, member, oldest, newest) in zip(indexed, states, strict=True):
            result.append([1 if has_meta or score is not None else 0, private, member, oldest, newest])
        return result
