"""Rooms in Redis: creation, the list with activity, private membership (by account id); every
change of who may read a room is published on the room's own channel."""

from __future__ import annotations

import json
import time
from typing import Any, cast

from redis.asyncio import Redis

from api.broker import keys, scripts
from api.domain.identity import Identity
from api.domain.rooms import Access

LIST_MAX = 200


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def created_event(room: str, private: bool, members: list[str]) -> str:
    """The access event a room's creation announces on its channel (create_room.lua, room_new.lua)."""
    return _json({"room": room, "private": private, "members": members})


class RoomStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._create = scripts.register(redis, "create_room")
        self._membership = scripts.register(redis, "membership")
        self._unread = scripts.register(redis, "unread")

    async def create(
        self, room: str, creator: Identity, topic: str, private: bool, member_ids: list[str]
    ) -> dict[str, Any] | None:
        """The new room, or None if it exists."""
        created = int(time.time() * 1000)
        members = list(dict.fromkeys([creator.user_id, *member_ids])) if private else []
        ok = await self._create(
            keys=[keys.room(room), keys.ROOMS, keys.members(room)],
            args=[
                room,
                created,
                topic,
                "1" if private else "0",
                creator.name,
                creator.user_id,
                keys.live(room),
                created_event(room, private, members),
                keys.PREFIX,
                *members,
            ],
        )
        if not ok:
            return None
        return {"name": room, "topic": topic, "private": private, "created_by": creator.name, "created": created}

    async def readers_among(self, room: str, user_ids: list[str]) -> set[str] | None:
        """Which of `user_ids` may read `room`: None when everyone may (a public room), else its
        members among them (an anonymous reader, "", never is one)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hget(keys.room(room), "private")
            pipe.smismember(keys.members(room), user_ids or [""])
            private, member = await pipe.execute()
        if private != "1":
            return None
        return {user_id for user_id, flag in zip(user_ids, member, strict=False) if flag and user_id}

    async def access(self, room: str, who: Identity | None) -> Access:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hmget(keys.room(room), ["private", "created_by_id"])
            pipe.sismember(keys.members(room), who.user_id if who else "")
            pipe.zscore(keys.ROOMS, room)
            (private, creator), member, score = await pipe.execute()
        return Access(
            exists=private is not None or score is not None,
            private=private == "1",
            member=bool(member),
            creator=who is not None and creator == who.user_id,
        )

    async def change_member(self, room: str, user_id: str, add: bool) -> bool:
        """Adds or removes a member, announcing it; False if nothing changed."""
        change = "added" if add else "removed"
        changed = await self._membership(
            keys=[keys.members(room)],
            args=[
                "add" if add else "remove",
                user_id,
                keys.live(room),
                _json({"room": room, change: user_id}),
                keys.user_live(user_id),
                _json({"room": room, "member": add}),
            ],
        )
        return bool(changed)

    async def member_ids(self, room: str) -> list[str]:
        return [str(m) for m in await self._redis.smembers(keys.members(room))]

    async def listing(self, who: Identity | None) -> list[dict[str, Any]]:
        """Rooms by last activity (their last message), most recent first; private ones only for
        their members; for the signed-in, their unread messages, unread mentions and whether they
        created the room (`moderator`; admins are the use case's business)."""
        reply = await self._redis.zrevrange(keys.ROOMS, 0, LIST_MAX - 1, withscores=True)
        ranked = cast(list[tuple[str, float]], reply)
        user_id = who.user_id if who else ""
        async with self._redis.pipeline(transaction=False) as pipe:
            for room, _ in ranked:
                pipe.hmget(keys.room(room), ["topic", "private", "count", "created_by_id"])
                pipe.sismember(keys.members(room), user_id)
                if who is not None:
                    await self._unread(
                        keys=[keys.reads(room), keys.mentions(room, user_id)], args=[user_id], client=pipe
                    )
                else:
                    pipe.hget(keys.reads(room), user_id)
            replies = await pipe.execute()
        result = []
        for i, (room, score) in enumerate(ranked):
            meta, member, read = replies[3 * i : 3 * i + 3]
            entry = listing_entry(room, score, meta, member, read if who is not None else None, user_id)
            if entry is not None:
                result.append(entry)
        return result


def listing_entry(
    room: str, score: float, meta: list[Any], member: Any, read: list[Any] | None, user_id: str
) -> dict[str, Any] | None:
    """A room of the list as clients see it (None: private, and the reader is not a member);
    `read` (position, mentions) only for the signed-in."""
    topic, private, count, creator = meta
    if private == "1" and not member:
        return None
    total = int(count or 0)
    entry: dict[str, Any] = {
        "name": room,
        "topic": topic or "",
        "private": private == "1",
        "last_activity": int(score),
        "message_count": total,
        "online": 0,
    }
    if read is not None:
        position, mentions = read
        entry["unread"] = max(0, total - (json.loads(position)["n"] if position else 0))
        entry["mentions"] = int(mentions)
        entry["moderator"] = creator == user_id
    return entry
