"""Names in Redis: guest claims that lapse when idle, and registered names with a password."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis

from api.broker import keys
from api.domain.identity import Identity, name_key
from api.errors import DomainError

# KEYS: 1 registered user hash, 2 guest claim. ARGV: 1 new session id, 2 idle TTL ms, 3 holder's
# current session id ("" if none). Returns "registered", "taken", or "ok".
_CLAIM_GUEST = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'registered' end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[3] then return 'taken' end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 'ok'
"""

# KEYS: 1 user hash, 2 guest claim. ARGV: 1 display name, 2 password hash, 3 created ms,
# 4 the caller's guest session id ("" if none): a guest may register the name it holds.
_REGISTER = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[4] then return 'taken' end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'password', ARGV[2], 'created', ARGV[3])
return 'ok'
"""

# KEYS: 1 guest claim. ARGV: 1 session id. Frees the name only for the guest who holds it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

MIN_PASSWORD = 8
MAX_FAILED_LOGINS = 10
FAILED_LOGIN_WINDOW = 300


class Accounts:
    def __init__(self, redis: Redis, guest_idle_seconds: int) -> None:
        self._redis = redis
        self._guest_idle_ms = guest_idle_seconds * 1000
        # OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): slow for an attacker's guesses,
        # affordable for a 2-core server under a burst of sign-ins.
        self._hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
        self._claim = redis.register_script(_CLAIM_GUEST)
        self._register = redis.register_script(_REGISTER)
        self._release = redis.register_script(_RELEASE)

    async def claim_guest(self, name: str, holder: Identity | None) -> Identity:
        """Claims `name` for a guest; its current holder (same name, same session) may renew it."""
        key = name_key(name)
        renew = holder.sid if holder and holder.kind == "guest" and holder.key == key else ""
        sid = renew or secrets.token_urlsafe(12)
        result = await self._claim(keys=[keys.user(key), keys.guest(key)], args=[sid, self._guest_idle_ms, renew])
        if result == "registered":
            raise DomainError(409, "name_registered", f"{name!r} is a registered name: sign in with its password")
        if result == "taken":
            raise DomainError(409, "name_taken", f"{name!r} is in use right now; choose another name")
        return Identity(name=name, kind="guest", sid=sid)

    async def release(self, guest: Identity) -> None:
        await self._release(keys=[keys.guest(guest.key)], args=[guest.sid])

    async def sign_in(self, name: str, password: str, holder: Identity | None = None) -> tuple[Identity, bool]:
        """Logs in to a registered name, or registers it (also the guest name `holder` holds);
        returns the identity and whether it is new."""
        key = name_key(name)
        holder_sid = holder.sid if holder and holder.kind == "guest" and holder.key == key else ""
        stored = cast(list[str | None], await self._redis.hmget(keys.user(key), ["name", "password"]))
        if stored[1] is None:
            if len(password) < MIN_PASSWORD:
                raise DomainError(422, "weak_password", f"a password needs at least {MIN_PASSWORD} characters")
            digest = await asyncio.to_thread(self._hasher.hash, password)
            result = await self._register(
                keys=[keys.user(key), keys.guest(key)], args=[name, digest, int(time.time() * 1000), holder_sid]
            )
            if result == "taken":
                raise DomainError(409, "name_taken", f"{name!r} is in use by a guest right now; choose another name")
            if result == "ok":
                return Identity(name=name, kind="user"), True
            stored = cast(list[str | None], await self._redis.hmget(keys.user(key), ["name", "password"]))
        failures_key = keys.login_failures(key)
        failures = int(await self._redis.get(failures_key) or 0)
        if failures >= MAX_FAILED_LOGINS:
            raise DomainError(
                429,
                "too_many_attempts",
                "too many wrong passwords for this name; wait a few minutes",
                retry_after=FAILED_LOGIN_WINDOW,
            )
        if not await asyncio.to_thread(self._verify, stored[1] or "", password):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(failures_key)
                pipe.expire(failures_key, FAILED_LOGIN_WINDOW)
                await pipe.execute()
            raise DomainError(401, "wrong_password", "that name is registered and the password does not match")
        return Identity(name=stored[0] or name, kind="user"), False

    def _verify(self, digest: str, password: str) -> bool:
        try:
            return self._hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return False
