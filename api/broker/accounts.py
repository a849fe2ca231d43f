"""Names in Redis: guest claims that lapse when idle, registered names with their password hash,
and the count of wrong passwords per name."""

from __future__ import annotations

from typing import cast

from redis.asyncio import Redis

from api.broker import keys, scripts


class AccountStore:
    def __init__(self, redis: Redis, guest_idle_seconds: int) -> None:
        self._redis = redis
        self._guest_idle_ms = guest_idle_seconds * 1000
        self._claim = scripts.register(redis, "claim_guest")
        self._register = scripts.register(redis, "register")
        self._release = scripts.register(redis, "release_guest")

    async def claim_guest(self, key: str, sid: str, renew: str) -> str:
        """Claims the name `key` for session `sid`, or renews it for its holder `renew`:
        "ok", "registered" or "taken"."""
        return str(await self._claim(keys=[keys.user(key), keys.guest(key)], args=[sid, self._guest_idle_ms, renew]))

    async def release_guest(self, key: str, sid: str) -> None:
        await self._release(keys=[keys.guest(key)], args=[sid])

    async def registered(self, key: str) -> tuple[str, str] | None:
        """The registered display name and password hash of `key`, if it is registered."""
        name, digest = cast(list[str | None], await self._redis.hmget(keys.user(key), ["name", "password"]))
        return (name or key, digest) if digest is not None else None

    async def register(self, key: str, name: str, digest: str, created_ms: int, guest_sid: str) -> str:
        """ "ok", "exists" (registered meanwhile) or "taken" (a guest holds it)."""
        return str(
            await self._register(keys=[keys.user(key), keys.guest(key)], args=[name, digest, created_ms, guest_sid])
        )

    async def failed_logins(self, key: str) -> int:
        return int(await self._redis.get(keys.login_failures(key)) or 0)

    async def count_failed_login(self, key: str, window_seconds: int) -> None:
        failures = keys.login_failures(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(failures)
            pipe.expire(failures, window_seconds)
            await pipe.execute()
