"""Rate limits as fixed-window counters in Redis, checked and counted in one script call."""

from __future__ import annotations

from redis.asyncio import Redis, RedisCluster

from api.broker import keys, scripts


class RateCounters:
    def __init__(self, redis: Redis | RedisCluster) -> None:
        self._count = scripts.register(redis, "rate")
        self._gate = scripts.register(redis, "write_gate")
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

    async def session_write(self, user_id: str, sid: str, limit: int, window_seconds: int) -> int:
        """Whether session `sid` may write one more entry now, counted against the send rate: -1
        if the session ended, 0 if counted, else the ms to wait."""
        return int(
            await self._gate(
                keys=[keys.sessions(user_id), keys.send_rate(user_id)], args=[sid, limit, window_seconds * 1000]
            )
        )
