"""What opening a stream reads from Redis, for every room at once, in one script call: the
viewer's session, and each room's access and the ids its stream keeps."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

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

    def __init__(self, redis: Redis) -> None:
        self._open = scripts.register(redis, "open_stream")

    async def read(self, rooms: tuple[str, ...], who: Identity | None) -> tuple[bool, dict[str, RoomState]]:
        """Whether `who`'s session is alive (False when anonymous), and each room's state."""
        user_id = who.user_id if who else ""
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
