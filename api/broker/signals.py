"""Typing indicators (never stored) and read positions (stored, announced), one script call each."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from api.broker import keys
from api.domain.identity import Identity
from api.errors import DomainError

# KEYS: 1 throttle key. ARGV: 1 channel, 2 throttle ms, 3 event JSON. Returns 1 if announced.
_TYPING = """
if not redis.call('SET', KEYS[1], '1', 'PX', ARGV[2], 'NX') then return 0 end
redis.call('PUBLISH', ARGV[1], 'typing\\n\\n' .. ARGV[3])
return 1
"""

# KEYS: 1 stream, 2 reads hash. ARGV: 1 channel, 2 user key, 3 user name, 4 message id, 5 room.
# Moves the reader's position forward only. Returns the position as JSON, or "" for an unknown id.
_READ = """
local entry = redis.call('XRANGE', KEYS[1], ARGV[4], ARGV[4])[1]
if not entry then return '' end
local n
for i = 1, #entry[2], 2 do if entry[2][i] == 'n' then n = tonumber(entry[2][i + 1]) end end
local current = redis.call('HGET', KEYS[2], ARGV[2])
if current and cjson.decode(current).n >= n then return current end
local position = cjson.encode({user = ARGV[3], id = ARGV[4], n = n, room = ARGV[5]})
redis.call('HSET', KEYS[2], ARGV[2], position)
redis.call('PUBLISH', ARGV[1], 'read\\n\\n' .. position)
return position
"""


class Signals:
    def __init__(self, redis: Redis, typing_throttle_ms: int, typing_expires_ms: int) -> None:
        self._redis = redis
        self._throttle_ms = typing_throttle_ms
        self._expires_ms = typing_expires_ms
        self._typing = redis.register_script(_TYPING)
        self._read = redis.register_script(_READ)

    async def typing(self, room: str, who: Identity) -> bool:
        """Tells the room `who` is typing, at most once per throttle period; False if throttled."""
        event = json.dumps({"room": room, "user": who.name, "expires_in_ms": self._expires_ms})
        sent = await self._typing(keys=[keys.typing(room, who.key)], args=[keys.live(room), self._throttle_ms, event])
        return bool(sent)

    async def read(self, room: str, who: Identity, message_id: str) -> dict[str, Any]:
        position = await self._read(
            keys=[keys.stream(room), keys.reads(room)],
            args=[keys.live(room), who.key, who.name, message_id, room],
        )
        if not position:
            raise DomainError(404, "no_such_message", f"room {room!r} has no message {message_id!r}")
        result: dict[str, Any] = json.loads(position)
        return result

    async def positions(self, room: str) -> list[dict[str, Any]]:
        """Everyone's read position in a room, furthest first."""
        values = await self._redis.hvals(keys.reads(room))
        return sorted((json.loads(v) for v in values), key=lambda p: -int(p["n"]))
