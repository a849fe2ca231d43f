"""Typing indicators (never stored) and read positions (stored, announced), one script call each."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from api.broker import keys, scripts
from api.domain.identity import Identity
from api.wire import signals


class Signals:
    def __init__(self, redis: Redis, typing_throttle_ms: int, typing_expires_ms: int) -> None:
        self._redis = redis
        self._throttle_ms = typing_throttle_ms
        self._expires_ms = typing_expires_ms
        self._typing = scripts.register(redis, "typing")
        self._read = scripts.register(redis, "read")

    async def typing(self, room: str, who: Identity) -> bool:
        """Tells the room `who` is typing, at most once per throttle period; False if throttled."""
        event = signals.typing(room, who.user_id, who.name, self._expires_ms)
        sent = await self._typing(
            keys=[keys.typing(room, who.user_id)], args=[keys.live(room), self._throttle_ms, event]
        )
        return bool(sent)

    async def read(self, room: str, who: Identity, message_id: str) -> dict[str, Any] | None:
        """Moves `who`'s read position forward to `message_id`; their position, or None if the
        room has no such message."""
        position = await self._read(
            keys=[keys.stream(room), keys.reads(room)],
            args=[keys.live(room), who.user_id, who.name, message_id, room],
        )
        if not position:
            return None
        result: dict[str, Any] = json.loads(position)
        return result

    async def positions(self, room: str) -> list[dict[str, Any]]:
        """Everyone's read position in a room, furthest first."""
        values = await self._redis.hvals(keys.reads(room))
        return sorted((json.loads(v) for v in values), key=lambda p: -int(p["n"]))
