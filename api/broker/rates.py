"""Rate limits as fixed-window counters in Redis, checked and counted in one script call."""

from __future__ import annotations

from redis.asyncio import Redis, RedisCluster

from api.broker import scripts


class RateCounters:
    def __init__(self, redis: Redis | RedisCluster) -> None:
        self._count = scripts.register(redis, "rate")
        self._cluster = isinstance(redis, RedisCluster)

    async def hit(self, counters: list[str], limit: int, window_seconds: int) -> int:
        """Counts one event on every counter; 0, or the ms to wait when one is at `limit`. On a
        Redis Cluster, where the counters sit in different slots, one at a time: those before the
        one at its limit are counted."""
        groups = [[counter] for counter in counters] if self._cluster else [counters]
        for group in groups:
            wait = int(await self._count(keys=group, args=[limit, window_seconds * 1000]))
            if wait:
                return wait
        return 0
