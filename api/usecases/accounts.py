"""Signing in: guest names, registered names with a password (argon2id), the login throttle."""

from __future__ import annotations

import asyncio
import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.broker.accounts import AccountStore
from api.domain.errors import Code, DomainError
from api.domain.identity import Identity, check_new_password, name_key

MAX_FAILED_LOGINS = 10
FAILED_LOGIN_WINDOW = 300


class Accounts:
    def __init__(self, store: AccountStore) -> None:
        self._store = store
        # OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): slow for an attacker's guesses,
        # affordable for a 2-core server under a burst of sign-ins.
        self._hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)

    async def claim_guest(self, name: str, holder: Identity | None) -> Identity:
        """Claims `name` for a guest; its current holder (same name, same session) may renew it."""
        key = name_key(name)
        renew = holder.sid if holder and holder.kind == "guest" and holder.key == key else ""
        sid = renew or secrets.token_urlsafe(12)
        result = await self._store.claim_guest(key, sid, renew)
        if result == "registered":
            raise DomainError(Code.NAME_REGISTERED, f"{name!r} is a registered name: sign in with its password")
        if result == "taken":
            raise DomainError(Code.NAME_TAKEN, f"{name!r} is in use right now; choose another name")
        return Identity(name=name, kind="guest", sid=sid)

    async def release(self, guest: Identity) -> None:
        await self._store.release_guest(guest.key, guest.sid)

    async def sign_in(self, name: str, password: str, holder: Identity | None = None) -> tuple[Identity, bool]:
        """Logs in to a registered name, or registers it (also the guest name `holder` holds);
        returns the identity and whether it is new."""
        key = name_key(name)
        holder_sid = holder.sid if holder and holder.kind == "guest" and holder.key == key else ""
        stored = await self._store.registered(key)
        if stored is None:
            check_new_password(password)
            digest = await asyncio.to_thread(self._hasher.hash, password)
            result = await self._store.register(key, name, digest, int(time.time() * 1000), holder_sid)
            if result == "taken":
                raise DomainError(Code.NAME_TAKEN, f"{name!r} is in use by a guest right now; choose another name")
            if result == "ok":
                return Identity(name=name, kind="user"), True
            stored = await self._store.registered(key)
            if stored is None:
                raise DomainError(Code.NAME_TAKEN, f"{name!r} is being registered right now; try again")
        if await self._store.failed_logins(key) >= MAX_FAILED_LOGINS:
            raise DomainError(
                Code.TOO_MANY_ATTEMPTS,
                "too many wrong passwords for this name; wait a few minutes",
                retry_after=FAILED_LOGIN_WINDOW,
            )
        display, digest = stored
        if not await asyncio.to_thread(self._verify, digest, password):
            await self._store.count_failed_login(key, FAILED_LOGIN_WINDOW)
            raise DomainError(Code.WRONG_PASSWORD, "that name is registered and the password does not match")
        return Identity(name=display, kind="user"), False

    def _verify(self, digest: str, password: str) -> bool:
        try:
            return self._hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return False
