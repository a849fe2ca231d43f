"""Rooms on a Redis Cluster, where a script reaches one slot: a room's keys and its channel share
one slot, the room index and each person's own channel sit in others, so they are told in calls
of their own, after the room's own change."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

from redis.asyncio import Redis

from api.broker import keys, scripts
from api.broker.rooms import LIST_MAX, RoomStore, _json, created_event, listing_entry
from api.domain.identity import Identity
from api.wire import envelope


class ClusterRoomStore(RoomStore):
    def __init__(self, redis: Redis) -> None:
        super().__init__(redis)
        self._new = scripts.register(redis, "room_new")

    async def _tell(self, user_ids: list[str], room: str, member: bool) -> None:
        told = envelope.encode("membership", "", _json({"room": room, "member": member}))
        await asyncio.gather(*(self._redis.spublish(keys.user_live(uid), told) for uid in user_ids))

    async def create(
        self, room: str, creator: Identity, topic: str, private: bool, member_ids: list[str]
    ) -> dict[str, Any] | None:
        created = int(time.time() * 1000)
        members = list(dict.fromkeys([creator.user_id, *member_ids])) if private else []
        indexed = await self._redis.zscore(keys.ROOMS, room) is not None
        ok = await self._new(
            keys=[keys.room(room), keys.members(room)],
            args=[
                created,
                topic,
                "1" if private else "0",
                creator.name,
                creator.user_id,
                keys.live(room),
                created_event(room, private, members),
                "1" if indexed else "0",
                *members,
            ],
        )
        if not ok:
            return None
        await self._redis.zadd(keys.ROOMS, {room: created}, nx=True)
        await self._tell(members, room, True)
        return {"name": room, "topic": topic, "private": private, "created_by": creator.name, "created": created}

    async def change_member(self, room: str, user_id: str, add: bool) -> bool:
        change = "added" if add else "removed"
        changed = await self._membership(
            keys=[keys.members(room)],
            args=["add" if add else "remove", user_id, keys.live(room), _json({"room": room, change: user_id}), "", ""],
        )
        if changed:
            await self._tell([user_id], room, add)
        return bool(changed)

    async def listing(self, who: Identity | None) -> list[dict[str, Any]]:
        """As on one Redis; the unread counts' script runs beside the pipeline (a cluster's
        pipeline takes no scripts), one call per room, all at once."""
        ranked = cast(
            list[tuple[str, float]], await self._redis.zrevrange(keys.ROOMS, 0, LIST_MAX - 1, withscores=True)
        )
        user_id = who.user_id if who else ""
        async with self._redis.pipeline(transaction=False) as pipe:
            for room, _ in ranked:
                pipe.hmget(keys.room(room), ["topic", "private", "count", "created_by_id"])
                pipe.sismember(keys.members(room), user_id)
            replies = await pipe.execute()
        unread = await asyncio.gather(
            *(
                self._unread(keys=[keys.reads(room), keys.mentions(room, user_id)], args=[user_id])
                for room, _ in (ranked if who is not None else [])
            )
        )
        result = []
        for i, (room, score) in enumerate(ranked):
            meta, member = replies[2 * i : 2 * i + 2]
            entry = listing_entry(room, score, meta, member, unread[i] if who is not None else None, user_id)
            if entry is not None:
                result.append(entry)
        return result
