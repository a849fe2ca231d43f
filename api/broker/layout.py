"""The key layout's version, and the migration of data written by the previous layout.

Layout 1 (before accounts had ids) keyed everything by room name or lowercase user name:
chat:stream:R, chat:room:R, chat:members:R (names), chat:reads:R (by name), chat:user:NAME,
chat:guest:NAME, plus short-lived keys. Layout 2 (keys.py) tags room and account keys and keys
people by account id. Registered names become accounts with new ids and keep their memberships
and read positions; guest claims end (their tokens could not be verified any more anyway), as do
presence, typing, idempotency and rate-limit keys, which live seconds to a day.
"""

from __future__ import annotations

import asyncio
import json
import logging

from redis.asyncio import Redis

from api.broker import keys
from api.domain.identity import new_user_id

logger = logging.getLogger(__name__)

LOCK = keys.PREFIX + "layout:lock"
_OLD = keys.PREFIX


class LayoutTooNew(RuntimeError):
    pass


async def ensure_layout(redis: Redis, wait_seconds: float = 60) -> None:
    """Migrates once (under a lock, safe with several instances starting together), waits for
    another instance's migration, or refuses a layout newer than this code knows."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        version = await redis.get(keys.LAYOUT)
        if version is not None and int(version) == keys.LAYOUT_VERSION:
            return
        if version is not None and int(version) > keys.LAYOUT_VERSION:
            raise LayoutTooNew(
                f"the Redis data has key layout {version!s}, newer than this release knows ({keys.LAYOUT_VERSION}): "
                "run a newer release"
            )
        if await redis.set(LOCK, "1", nx=True, px=int(wait_seconds * 1000)):
            try:
                if version is None and await _has_layout_1(redis):
                    await migrate_from_1(redis)
                await redis.set(keys.LAYOUT, keys.LAYOUT_VERSION)
            finally:
                await redis.delete(LOCK)
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("another instance holds the layout migration lock")
        await asyncio.sleep(0.2)


async def _scan(redis: Redis, pattern: str) -> list[str]:
    return [str(k) async for k in redis.scan_iter(match=pattern, count=500)]


async def _has_layout_1(redis: Redis) -> bool:
    for pattern in ("chat:stream:*", "chat:user:*", "chat:room:*"):
        if await _scan(redis, pattern):
            return True
    return False


async def migrate_from_1(redis: Redis) -> None:
    ids: dict[str, str] = {}
    for old in await _scan(redis, _OLD + "user:*"):
        name_key = old[len(_OLD + "user:") :]
        account = await redis.hgetall(old)
        user_id = new_user_id()
        ids[name_key] = user_id
        await redis.hset(keys.account(user_id), mapping={str(k): str(v) for k, v in account.items()})
        await redis.hset(keys.account(user_id), "kind", "user")
        await redis.set(keys.name(name_key), "user:" + user_id)
        await redis.delete(old)
    rooms = {k[len(_OLD + "stream:") :] for k in await _scan(redis, _OLD + "stream:*")}
    rooms |= {k[len(_OLD + "room:") :] for k in await _scan(redis, _OLD + "room:*")}
    for room in rooms:
        await _migrate_room(redis, room, ids)
    for pattern in ("guest:*", "presence:*", "typing:*", "idem:*", "rate:*"):
        for old in await _scan(redis, _OLD + pattern):
            await redis.delete(old)
    logger.info("migrated the Redis data to key layout %d: %d accounts, %d rooms", 2, len(ids), len(rooms))


async def _migrate_room(redis: Redis, room: str, ids: dict[str, str]) -> None:
    if await redis.exists(_OLD + "stream:" + room):
        await redis.rename(_OLD + "stream:" + room, keys.stream(room))
    meta = _OLD + "room:" + room
    if await redis.exists(meta):
        creator = await redis.hget(meta, "created_by")
        await redis.rename(meta, keys.room(room))
        if creator is not None and str(creator).lower() in ids:
            await redis.hset(keys.room(room), "created_by_id", ids[str(creator).lower()])
    members = _OLD + "members:" + room
    for name_key in await redis.smembers(members):
        if str(name_key) in ids:
            await redis.sadd(keys.members(room), ids[str(name_key)])
    await redis.delete(members)
    reads = _OLD + "reads:" + room
    for name_key, position in (await redis.hgetall(reads)).items():
        if str(name_key) in ids:
            user_id = ids[str(name_key)]
            await redis.hset(keys.reads(room), user_id, json.dumps({**json.loads(position), "user_id": user_id}))
    await redis.delete(reads)
