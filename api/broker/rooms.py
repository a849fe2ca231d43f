"""Rooms in Redis: creation, the list with activity, private membership and access checks."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from api.broker import keys
from api.domain.identity import Identity, name_key
from api.errors import DomainError

# KEYS: 1 room hash, 2 room index, 3 members. ARGV: 1 room, 2 created ms, 3 topic, 4 private,
# 5 creator, 6.. member keys. A room exists once it has a hash or has seen a message.
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'topic', ARGV[3], 'private', ARGV[4], 'created_by', ARGV[5], 'created', ARGV[2], 'count', 0)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
for i = 6, #ARGV do redis.call('SADD', KEYS[3], ARGV[i]) end
return 1
"""
LIST_MAX = 200
# The room every client opens first: nobody may lock the others out of it.
ALWAYS_PUBLIC = frozenset({"general"})


@dataclass(frozen=True)
class Access:
    exists: bool
    private: bool
    member: bool


class Rooms:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._create = redis.register_script(_CREATE)

    async def create(
        self, room: str, creator: Identity, topic: str, private: bool, members: list[str]
    ) -> dict[str, Any]:
        if private and room in ALWAYS_PUBLIC:
            raise DomainError(409, "room_exists", f"room {room!r} is everyone's and cannot be private")
        created = int(time.time() * 1000)
        member_keys = [creator.key, *(name_key(m) for m in members)] if private else []
        ok = await self._create(
            keys=[keys.room(room), keys.ROOMS, keys.members(room)],
            args=[room, created, topic, "1" if private else "0", creator.name, *member_keys],
        )
        if not ok:
            raise DomainError(409, "room_exists", f"room {room!r} already exists")
        return {"name": room, "topic": topic, "private": private, "created_by": creator.name, "created": created}

    async def access(self, room: str, who: Identity | None) -> Access:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hget(keys.room(room), "private")
            pipe.sismember(keys.members(room), who.key if who else "")
            pipe.zscore(keys.ROOMS, room)
            private, member, score = await pipe.execute()
        return Access(exists=private is not None or score is not None, private=private == "1", member=bool(member))

    async def check_read(self, room: str, who: Identity | None) -> None:
        """Private rooms are for their members only; everything else is public."""
        access = await self.access(room, who)
        if access.private and not access.member:
            if who is None:
                raise DomainError(401, "sign_in_required", f"room {room!r} is private: sign in as a member")
            raise DomainError(403, "not_a_member", f"room {room!r} is private and you are not a member")

    async def add_member(self, room: str, adder: Identity, name: str) -> None:
        access = await self.access(room, adder)
        if not access.exists:
            raise DomainError(404, "no_such_room", f"room {room!r} does not exist")
        if not access.private:
            raise DomainError(400, "public_room", f"room {room!r} is public: anyone can join it already")
        if not access.member:
            raise DomainError(403, "not_a_member", f"only members of {room!r} can add members")
        await self._redis.sadd(keys.members(room), name_key(name))

    async def members(self, room: str) -> list[str]:
        return sorted(str(m) for m in await self._redis.smembers(keys.members(room)))

    async def listing(self, who: Identity | None, online: dict[str, int]) -> list[dict[str, Any]]:
        """Rooms by last activity, most recent first; private ones only for their members."""
        reply = await self._redis.zrevrange(keys.ROOMS, 0, LIST_MAX - 1, withscores=True)
        ranked = cast(list[tuple[str, float]], reply)
        async with self._redis.pipeline(transaction=False) as pipe:
            for room, _ in ranked:
                pipe.hmget(keys.room(room), ["topic", "private", "count"])
                pipe.sismember(keys.members(room), who.key if who else "")
                pipe.hget(keys.reads(room), who.key if who else "")
            replies = await pipe.execute()
        result = []
        for i, (room, score) in enumerate(ranked):
            (topic, private, count), member, read = replies[3 * i : 3 * i + 3]
            if private == "1" and not member:
                continue
            total = int(count or 0)
            entry: dict[str, Any] = {
                "name": room,
                "topic": topic or "",
                "private": private == "1",
                "last_activity": int(score),
                "message_count": total,
                "online": online.get(room, 0),
            }
            if who is not None:
                entry["unread"] = max(0, total - (json.loads(read)["n"] if read else 0))
            result.append(entry)
        return result
