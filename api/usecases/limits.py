"""Per-person and per-address quotas on what is costly or abusable: creating rooms, signing in."""

from __future__ import annotations

from api.broker import keys
from api.broker.rates import RateCounters
from api.domain.errors import Code, DomainError
from api.domain.identity import Identity


class Limits:
    def __init__(self, counters: RateCounters, rooms_per_hour: int, sessions_per_address_per_minute: int) -> None:
        self._counters = counters
        self._rooms_per_hour = rooms_per_hour
        self._sessions_per_minute = sessions_per_address_per_minute

    async def room_created(self, who: Identity, address: str) -> None:
        wait = await self._counters.hit(
            [keys.room_create_rate(who.user_id), keys.address_rate("rooms", address)], self._rooms_per_hour, 3600
        )
        if wait:
            retry = max(1, -(-wait // 1000))
            raise DomainError(Code.RATE_LIMITED, f"too many new rooms; try again in {retry} s", retry_after=retry)

    async def sign_in(self, address: str) -> None:
        wait = await self._counters.hit([keys.address_rate("session", address)], self._sessions_per_minute, 60)
        if wait:
            retry = max(1, -(-wait // 1000))
            raise DomainError(Code.RATE_LIMITED, f"too many sign-ins; try again in {retry} s", retry_after=retry)
