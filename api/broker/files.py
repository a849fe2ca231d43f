"""Files' metadata in Redis, one hash per file under its room's hash tag. An upload's hash
expires unless a message attaches it (the send script persists it); every file stays in
FILES_PENDING, through which the blobs of expired uploads are found and deleted after them, and
those of attached files once their message is trimmed from its room's stream."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from api.broker import keys
from api.domain.files import file_room

READY = "ready"
PENDING = "pending"  # a direct upload whose bytes the store has not been seen to hold yet
RECHECK_MS = 86_400_000  # how long until an attached file's message is looked for again


@dataclass(frozen=True)
class FileMeta:
    id: str
    room: str
    owner: str  # the uploader's user id
    name: str
    type: str
    size: int
    inline: bool  # an image the server re-encoded: shown in the page
    json: str  # the file as clients see it (api/wire/files.py)
    state: str = READY
    message: str = ""  # the id of the message that attached it
    thumbnail: bool = False

    def blob_keys(self) -> list[str]:
        return blob_keys(self.id)


def blob_keys(file_id: str) -> list[str]:
    return [file_id, thumbnail_key(file_id)]


def thumbnail_key(file_id: str) -> str:
    return file_id + ".thumb"


def _meta(file_id: str, fields: dict[str, str]) -> FileMeta | None:
    if not fields or "owner" not in fields:
        return None
    return FileMeta(
        id=file_id,
        room=fields["room"],
        owner=fields["owner"],
        name=fields["name"],
        type=fields["type"],
        size=int(fields["size"]),
        inline=fields.get("inline") == "1",
        json=fields["json"],
        state=fields.get("state", READY),
        message=fields.get("message", ""),
        thumbnail=fields.get("thumbnail") == "1",
    )


class FileStore:
    def __init__(self, redis: Redis, unattached_seconds: int) -> None:
        self._redis = redis
        self._ttl = unattached_seconds

    async def save(self, meta: FileMeta, ttl: int | None = None) -> None:
        """Stores an upload's metadata, to expire after `ttl` (default: the unattached time)."""
        key = keys.file(meta.room, meta.id)
        ttl = ttl or self._ttl
        fields = {
            "room": meta.room,
            "owner": meta.owner,
            "name": meta.name,
            "type": meta.type,
            "size": str(meta.size),
            "inline": "1" if meta.inline else "0",
            "json": meta.json,
            "state": meta.state,
            "message": meta.message,
            "thumbnail": "1" if meta.thumbnail else "0",
            "created": str(int(time.time() * 1000)),
        }
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping=cast(Any, fields))
            pipe.expire(key, ttl)
            # Swept a little after the hash expires: a send attaching it in the last moment wins.
            pipe.zadd(keys.FILES_PENDING, {meta.id: int((time.time() + ttl + 60) * 1000)})
            await pipe.execute()

    async def get(self, file_id: str) -> FileMeta | None:
        fields = cast(dict[str, str], await self._redis.hgetall(keys.file(file_room(file_id), file_id)))
        return _meta(file_id, fields)

    async def forget(self, file_ids: list[str]) -> None:
        if not file_ids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for file_id in file_ids:
                pipe.delete(keys.file(file_room(file_id), file_id))
            pipe.zrem(keys.FILES_PENDING, *file_ids)
            await pipe.execute()

    async def expired(self, limit: int = 20) -> list[str]:
        """Files whose bytes are to go: uploads past their time that no message attached, and
        attached ones whose message its room's stream no longer keeps (trimmed past it). An
        attached file whose message is kept is looked at again a day later."""
        now = int(time.time() * 1000)
        due = [str(m) for m in await self._redis.zrangebyscore(keys.FILES_PENDING, 0, now, start=0, num=limit)]
        if not due:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for file_id in due:
                pipe.hget(keys.file(file_room(file_id), file_id), "message")
            messages = [str(m) if m else "" for m in await pipe.execute()]
        attached = [(file_id, message) for file_id, message in zip(due, messages, strict=True) if message]
        held: list[object] = []
        if attached:
            async with self._redis.pipeline(transaction=False) as pipe:
                for file_id, message in attached:
                    pipe.xrange(keys.stream(file_room(file_id)), message, message)
                held = await pipe.execute()
        kept = {file_id for (file_id, _), entries in zip(attached, held, strict=True) if entries}
        gone = [file_id for file_id in due if file_id not in kept]
        async with self._redis.pipeline(transaction=False) as pipe:
            if gone:
                pipe.zrem(keys.FILES_PENDING, *gone)
            if kept:
                pipe.zadd(keys.FILES_PENDING, dict.fromkeys(kept, now + RECHECK_MS))
            await pipe.execute()
        return gone
