"""Rate limits as fixed-window counters in Redis, checked and counted in one script call."""

from __future__ import annotations

from redis.asyncio import Redis

from api.broker import scripts


class RateCounters:
    def __init__(self, redis: Redis) -> None:
        self._count = scripts.register(redis, "rate")

    async def hit(self, counters: list[str], limit: int, window_seconds: int) -> int:
        """Counts one event on every counter; 0, or the ms to wait when one is at `limit`."""
        return int(await self._count(keys=counters, args=[limit, window_seconds * 1000]))
