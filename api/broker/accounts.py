"""Accounts in Redis: ids behind display names, guest accounts that lapse when idle, registered
ones with a password hash, sessions, and the count of sign-in attempts per name."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from api.broker import keys, scripts


@dataclass(frozen=True)
class Lookup:
    status: str  # "free", "guest", "user" or "throttled"
    user_id: str = ""
    retry_ms: int = 0


def _now_ms() -> int:
    return int(time.time() * 1000)


class AccountStore:
    def __init__(self, redis: Redis, guest_idle_seconds: int, session_seconds: int) -> None:
        self._redis = redis
        self._guest_idle_ms = guest_idle_seconds * 1000
        self._session_ms = session_seconds * 1000
        self._claim = scripts.register(redis, "claim_guest")
        self._register = scripts.register(redis, "register")
        self._login = scripts.register(redis, "login_attempt")
        self._start = scripts.register(redis, "session_start")
        self._end = scripts.register(redis, "session_end")
        self._rename = scripts.register(redis, "rename")

    async def claim_guest(
        self, name_key: str, name: str, user_id: str, sid: str, holder: tuple[str, str] | None
    ) -> tuple[str, str, str]:
        """(status, user id, session id): a new guest account for a free name, or the holder's
        (user id, session id) renewed."""
        holder_id, holder_sid = holder or ("", "")
        reply = await self._claim(
            keys=[
                keys.name(name_key),
                keys.account(user_id),
                keys.sessions(user_id),
                keys.account(holder_id or user_id),
                keys.sessions(holder_id or user_id),
            ],
            args=[user_id, sid, self._guest_idle_ms, name, holder_id, holder_sid, _now_ms(), keys.PREFIX],
        )
        status = str(reply[0])
        return (status, str(reply[1]), str(reply[2])) if status == "ok" else (status, "", "")

    async def lookup_for_sign_in(self, name_key: str, limit: int, window_seconds: int) -> Lookup:
        reply = await self._login(
            keys=[keys.name(name_key), keys.login_attempts(name_key)], args=[limit, window_seconds * 1000]
        )
        status = str(reply[0])
        if status == "throttled":
            return Lookup(status, retry_ms=int(reply[1]))
        return Lookup(status, str(reply[1]) if len(reply) > 1 else "")

    async def credentials(self, user_id: str) -> tuple[str, str] | None:
        """The display name and password hash of a registered account."""
        name, digest = cast(list[str | None], await self._redis.hmget(keys.account(user_id), ["name", "password"]))
        return (name, digest) if name is not None and digest is not None else None

    async def register(self, name_key: str, name: str, user_id: str, digest: str, guest_id: str, sid: str) -> str:
        """ "ok", "exists" (registered meanwhile) or "taken" (a live guest holds it)."""
        return str(
            await self._register(
                keys=[keys.name(name_key), keys.account(user_id), keys.sessions(user_id)],
                args=[user_id, name, digest, _now_ms(), guest_id, sid, self._session_ms, keys.PREFIX],
            )
        )

    async def start_session(self, user_id: str, name_key: str, sid: str) -> None:
        await self._start(
            keys=[keys.sessions(user_id), keys.login_attempts(name_key)], args=[sid, _now_ms(), self._session_ms]
        )

    async def end_session(self, user_id: str, name_key: str, sid: str) -> bool:
        event = json.dumps({"user_id": user_id, "sid": sid})
        ended = await self._end(
            keys=[keys.sessions(user_id), keys.account(user_id), keys.name(name_key)],
            args=[sid, user_id, keys.user_live(user_id), event],
        )
        return bool(ended)

    async def session_alive(self, user_id: str, sid: str) -> bool:
        return bool(await self._redis.hexists(keys.sessions(user_id), sid))

    async def sessions_among(self, user_id: str, sids: list[str]) -> set[str]:
        """Which of `sids` are alive, in one command of the account's slot. Alive as opening a
        stream reads it (open_stream.lua): in the sessions hash, whose key lapses with an idle guest."""
        if not sids:
            return set()
        found = cast(list[str | None], await self._redis.hmget(keys.sessions(user_id), sids))
        return {sid for sid, since in zip(sids, found, strict=True) if since is not None}

    async def rename(self, user_id: str, sid: str, old_key: str, new_key: str, name: str) -> str:
        """ "ok", "taken" or "no_session"."""
        return str(
            await self._rename(
                keys=[keys.name(new_key), keys.name(old_key), keys.account(user_id), keys.sessions(user_id)],
                args=[user_id, name, sid, keys.PREFIX],
            )
        )

    async def display_name(self, user_id: str) -> str | None:
        name = await self._redis.hget(keys.account(user_id), "name")
        return str(name) if name is not None else None

    async def holder(self, name_key: str) -> str | None:
        """The id of the live account that holds a name, if any."""
        current = await self._redis.get(keys.name(name_key))
        if current is None:
            return None
        kind, _, user_id = str(current).partition(":")
        if kind == "guest" and not await self._redis.exists(keys.sessions(user_id)):
            return None
        return user_id

    async def names(self, user_ids: list[str]) -> dict[str, str]:
        """The display names of those of `user_ids` whose accounts still exist."""
        if not user_ids:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.hget(keys.account(user_id), "name")
            replies = await pipe.execute()
        return {uid: str(name) for uid, name in zip(user_ids, replies, strict=True) if name is not None}

    async def holders(self, name_keys: list[str]) -> list[str]:
        """The account ids that hold these names now (each once, in order; names nobody holds are
        left out), in one round trip. A name key is in no room's slot: one GET each, pipelined."""
        if not name_keys:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in name_keys:
                pipe.get(keys.name(key))
            replies = await pipe.execute()
        ids = (str(held).partition(":")[2] for held in replies if held is not None)
        return list(dict.fromkeys(user_id for user_id in ids if user_id))
