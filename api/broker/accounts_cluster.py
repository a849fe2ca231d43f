"""Accounts on a Redis Cluster, where a script reaches one slot: a name (chat:name:N) and the
account it points to ({u:ID}) sit in different slots, so each step runs in its own slot.

What keeps it safe without one atomic script: an account and its session are made before the
name points to it, and a name moves only by compare-and-set (name_swap.lua) from the value read,
so of two claims racing for a name one wins and the other answers "taken".
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from api.broker import keys, scripts
from api.broker.accounts import AccountStore, Lookup, _now_ms


class ClusterAccountStore(AccountStore):
    def __init__(self, redis: Redis, guest_idle_seconds: int, session_seconds: int) -> None:
        super().__init__(redis, guest_idle_seconds, session_seconds)
        self._new = scripts.register(redis, "account_new")
        self._swap = scripts.register(redis, "name_swap")
        self._renew = scripts.register(redis, "session_renew")
        self._drop = scripts.register(redis, "session_drop")
        self._forgive = scripts.register(redis, "forgive")
        self._count = scripts.register(redis, "rate")

    async def _current(self, name_key: str) -> str:
        return str(await self._redis.get(keys.name(name_key)) or "")

    async def _guest_alive(self, user_id: str) -> bool:
        return bool(await self._redis.exists(keys.sessions(user_id)))

    async def claim_guest(
        self, name_key: str, name: str, user_id: str, sid: str, holder: tuple[str, str] | None
    ) -> tuple[str, str, str]:
        current = await self._current(name_key)
        if current.startswith("user:"):
            return ("registered", "", "")
        if current:
            holder_id = current[len("guest:") :]
            if holder is not None and holder[0] == holder_id:
                account = [keys.account(holder_id), keys.sessions(holder_id)]
                if await self._renew(keys=account, args=[holder[1], self._guest_idle_ms]):
                    return ("ok", holder_id, holder[1])
            if await self._guest_alive(holder_id):
                return ("taken", "", "")
        account = [keys.account(user_id), keys.sessions(user_id)]
        ttl = self._guest_idle_ms
        await self._new(keys=account, args=[name, "guest", _now_ms(), ttl, sid, ttl, ""])
        if not await self._swap(keys=[keys.name(name_key)], args=[current, "guest:" + user_id]):
            await self._redis.delete(*account)
            return ("taken", "", "")
        return ("ok", user_id, sid)

    async def lookup_for_sign_in(self, name_key: str, limit: int, window_seconds: int) -> Lookup:
        current = await self._current(name_key)
        if not current:
            return Lookup("free")
        kind, _, user_id = current.partition(":")
        if kind == "guest":
            return Lookup("guest", user_id)
        wait = int(await self._count(keys=[keys.login_attempts(name_key)], args=[limit, window_seconds * 1000]))
        return Lookup("throttled", retry_ms=wait) if wait else Lookup("user", user_id)

    async def register(self, name_key: str, name: str, user_id: str, digest: str, guest_id: str, sid: str) -> str:
        current = await self._current(name_key)
        if current.startswith("user:"):
            return "exists"
        if current and current[len("guest:") :] != guest_id and await self._guest_alive(current[len("guest:") :]):
            return "taken"
        account = [keys.account(user_id), keys.sessions(user_id)]
        await self._new(keys=account, args=[name, "user", _now_ms(), 0, sid, self._session_ms, digest])
        if not await self._swap(keys=[keys.name(name_key)], args=[current, "user:" + user_id]):
            if not guest_id:
                await self._redis.delete(*account)
            return "exists" if (await self._current(name_key)).startswith("user:") else "taken"
        return "ok"

    async def start_session(self, user_id: str, name_key: str, sid: str) -> None:
        sessions = keys.sessions(user_id)
        await self._redis.hset(sessions, sid, str(_now_ms()))
        await self._redis.pexpire(sessions, self._session_ms)
        await self._forgive(keys=[keys.login_attempts(name_key)])

    async def end_session(self, user_id: str, name_key: str, sid: str) -> bool:
        event = json.dumps({"user_id": user_id, "sid": sid})
        ended = int(
            await self._drop(
                keys=[keys.sessions(user_id), keys.account(user_id), keys.user_live(user_id)], args=[sid, event]
            )
        )
        if ended == 2:
            await self._swap(keys=[keys.name(name_key)], args=["guest:" + user_id, ""])
        return ended > 0

    async def rename(self, user_id: str, sid: str, old_key: str, new_key: str, name: str) -> str:
        if not await self.session_alive(user_id, sid):
            return "no_session"
        kind = await self._redis.hget(keys.account(user_id), "kind")
        if kind is None:
            return "no_session"
        mine = f"{kind!s}:{user_id}"
        current = await self._current(new_key)
        if current and current != mine:
            holder = current[len("guest:") :] if current.startswith("guest:") else ""
            if not holder or await self._guest_alive(holder):
                return "taken"
        if current != mine and not await self._swap(keys=[keys.name(new_key)], args=[current, mine]):
            return "taken"
        if old_key != new_key:
            await self._swap(keys=[keys.name(old_key)], args=[mine, ""])
        await self._redis.hset(keys.account(user_id), "name", name)
        return "ok"
