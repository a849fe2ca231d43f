"""Signing in: guest accounts, registered accounts with a password (argon2id), the login
throttle, sessions, renaming."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.broker.access_cache import AccessCache
from api.broker.accounts import AccountStore
from api.domain.errors import Code, DomainError
from api.domain.identity import Identity, check_name, check_new_password, name_key, new_session_id, new_user_id

LOGIN_FAILURES_PER_NAME = 10
LOGIN_WINDOW_SECONDS = 300


class Accounts:
    def __init__(self, store: AccountStore, failures_per_name: int, window_seconds: int, cache: AccessCache) -> None:
        self._store = store
        self._cache = cache  # told of a session this process ends, before its event comes back
        self._failures = failures_per_name
        self._window = window_seconds
        # OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): slow for an attacker's guesses,
        # affordable for a 2-core server under a burst of sign-ins.
        self._hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

    async def claim_guest(self, name: str, holder: Identity | None) -> tuple[Identity, bool]:
        """A guest account for `name`, or the holder's renewed; and whether it is new."""
        key = name_key(name)
        mine = (holder.user_id, holder.sid) if holder and holder.kind == "guest" and holder.key == key else None
        status, user_id, sid = await self._store.claim_guest(key, name, new_user_id(), new_session_id(), mine)
        if status == "registered":
            raise DomainError(Code.NAME_REGISTERED, f"{name!r} is a registered name: sign in with its password")
        if status == "taken":
            raise DomainError(Code.NAME_TAKEN, f"{name!r} is in use right now; choose another name")
        return Identity(user_id=user_id, name=name, kind="guest", sid=sid), mine is None or mine[1] != sid

    async def sign_in(self, name: str, password: str, holder: Identity | None = None) -> tuple[Identity, bool]:
        """Logs in to a registered name, or registers it (also the name the caller's guest account
        holds, keeping its id); returns the identity and whether the account is new."""
        key = name_key(name)
        lookup = await self._store.lookup_for_sign_in(key, self._failures, self._window)
        if lookup.status == "throttled":
            retry = max(1, -(-lookup.retry_ms // 1000))
            raise DomainError(
                Code.TOO_MANY_ATTEMPTS, "too many wrong passwords for this name; wait a few minutes", retry_after=retry
            )
        if lookup.status == "user":
            return await self._log_in(key, lookup.user_id, password), False
        check_new_password(password)
        guest_id = holder.user_id if holder and holder.kind == "guest" and holder.key == key else ""
        user_id, sid = guest_id or new_user_id(), new_session_id()
        digest = await asyncio.to_thread(self._hasher.hash, password)
        result = await self._store.register(key, name, user_id, digest, guest_id, sid)
        if result == "taken":
            raise DomainError(Code.NAME_TAKEN, f"{name!r} is in use by a guest right now; choose another name")
        if result == "exists":
            # Registered a moment ago by someone else: this is a sign-in to it after all.
            return await self.sign_in(name, password, holder)
        return Identity(user_id=user_id, name=name, kind="user", sid=sid), True

    async def _log_in(self, key: str, user_id: str, password: str) -> Identity:
        stored = await self._store.credentials(user_id)
        if stored is None or not await asyncio.to_thread(self._verify, stored[1], password):
            raise DomainError(Code.WRONG_PASSWORD, "that name is registered and the password does not match")
        sid = new_session_id()
        await self._store.start_session(user_id, key, sid)
        return Identity(user_id=user_id, name=stored[0], kind="user", sid=sid)

    async def end_session(self, who: Identity) -> None:
        await self._store.end_session(who.user_id, who.key, who.sid)
        self._cache.session_ended(who.user_id, who.sid)

    async def check_session(self, who: Identity) -> Identity:
        """`who`, if its session has not ended (signed out, or a guest account that lapsed)."""
        if not await self._store.session_alive(who.user_id, who.sid):
            raise DomainError(Code.SESSION_ENDED, "this session has ended; sign in again")
        return who

    async def current(self, who: Identity) -> Identity:
        """`who` with the account's name now (it may have been renamed in another session)."""
        name = await self._store.display_name(who.user_id)
        return Identity(user_id=who.user_id, name=name or who.name, kind=who.kind, sid=who.sid)

    async def rename(self, who: Identity, name: str) -> Identity:
        new = check_name(name)
        status = await self._store.rename(who.user_id, who.sid, who.key, name_key(new), new)
        if status == "taken":
            raise DomainError(Code.NAME_TAKEN, f"{new!r} is in use; choose another name")
        if status != "ok":
            raise DomainError(Code.SESSION_ENDED, "this session has ended; sign in again")
        return Identity(user_id=who.user_id, name=new, kind=who.kind, sid=who.sid)

    def _verify(self, digest: str, password: str) -> bool:
        try:
            return self._hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return False
