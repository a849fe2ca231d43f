"""Rooms in Redis: creation, the list with activity, private membership."""

from __future__ import annotations

import json
import time
from typing import Any, cast

from redis.asyncio import Redis

from api.broker import keys, scripts
from api.domain.identity import Identity, name_key
from api.domain.rooms import Access

LIST_MAX = 200


class RoomStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._create = scripts.register(redis, "create_room")

    async def create(
        self, room: str, creator: Identity, topic: str, private: bool, members: list[str]
    ) -> dict[str, Any] | None:
        """The new room, or None if it exists."""
        created = int(time.time() * 1000)
        member_keys = [creator.key, *(name_key(m) for m in members)] if private else []
        ok = await self._create(
            keys=[keys.room(room), keys.ROOMS, keys.members(room)],
            args=[room, created, topic, "1" if private else "0", creator.name, *member_keys],
        )
        if not ok:
            return None
        return {"name": room, "topic": topic, "private": private, "created_by": creator.name, "created": created}

    async def access(self, room: str, who: Identity | None) -> Access:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hget(keys.room(room), "private")
            pipe.sismember(keys.members(room), who.key if who else "")
            pipe.zscore(keys.ROOMS, room)
            private, member, score = await pipe.execute()
        return Access(exists=private is not None or score is not None, private=private == "1", member=bool(member))

    async def add_member(self, room: str, name: str) -> None:
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
