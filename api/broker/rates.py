"""Rate limits as fixed-window counters in Redis, checked and counted in one script call."""

from __future__ import annotations

from redis.asyncio import Redis

from api.broker import keys, scripts


class RateCounters:
    def __init__(self, redis: Redis) -> None:
        self._count = scripts.register(redis, "rate")
        self._gate = scripts.register(redis, "write_gate")

    async def hit(self, counters: list[str], limit: int, window_seconds: int) -> int:
        """Counts one event on every counter; 0, or the ms to wait when one is at `limit`."""
        return int(await self._count(keys=counters, args=[limit, window_seconds * 1000]))

    async def session_write(self, user_id: str, sid: str, limit: int, window_seconds: int) -> int:
        """Whether session `sid` may write one more entry now, counted against the send rate: -1
        if the session ended, 0 if counted, else the ms to wait."""
        return int(
            await self._gate(
                keys=[keys.sessions(user_id), keys.send_rate(user_id)], args=[sid, limit, window_seconds * 1000]
            )
        )
