"""Who is online: every process records its own connected people, for all of them at once.

Each room has a sorted set of `name|instance` scored by when the entry expires. A process adds
its entry when someone's first connection in a room opens, lets it lapse after a short grace
when the last one closes (so a reconnect is no leave and join), and refreshes all its entries
together on a timer, so an idle client costs no Redis command. A process that dies stops
refreshing: its entries expire within `ttl`, and the next sweep by any process that serves the
room tells it that those people left.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from api.broker import keys
from api.domain.identity import Identity

logger = logging.getLogger(__name__)

_COMMON = """
local function live_elsewhere(zset, name, except, now)
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', zset, now, '+inf')) do
    if m ~= except and string.sub(m, 1, #name + 1) == name .. '|' then return true end
  end
  return false
end
-- The set outlives its newest entry by one more period, so that a sweep still sees what expired.
local function keep(zset)
  redis.call('PEXPIREAT', zset, 2 * tonumber(ARGV[4]) - tonumber(ARGV[3]))
end
local function announce(zset, name, action)
  local room = string.sub(zset, #ARGV[1] + 1)
  local event = cjson.encode({room = room, user = name, action = action})
  redis.call('PUBLISH', ARGV[2] .. room, 'presence\\n\\n' .. event)
end
"""
# ARGV: 1 presence key prefix, 2 live channel prefix, 3 now ms, 4 expiry ms, 5 member, 6 name
_JOIN = (
    _COMMON
    + """
local zset = KEYS[1]
local before = redis.call('ZSCORE', zset, ARGV[5])
local was_here = live_elsewhere(zset, ARGV[6], ARGV[5], ARGV[3]) or (before and tonumber(before) > tonumber(ARGV[3]))
redis.call('ZADD', zset, ARGV[4], ARGV[5])
keep(zset)
if not was_here then announce(zset, ARGV[6], 'join') end
"""
)
# ARGV[4] is the end of the grace period here: until then the entry stays, so that a client back
# at once (a stream ended by a platform's time limit, a reload) is never seen leaving; the sweep
# announces those that do not come back. Without grace (ARGV[4] == now) the leave is immediate.
_LEAVE = (
    _COMMON
    + """
local zset = KEYS[1]
if tonumber(ARGV[4]) > tonumber(ARGV[3]) then
  redis.call('ZADD', zset, 'XX', 'LT', ARGV[4], ARGV[5])
  return
end
if redis.call('ZREM', zset, ARGV[5]) == 1 and not live_elsewhere(zset, ARGV[6], ARGV[5], ARGV[3]) then
  announce(zset, ARGV[6], 'leave')
end
"""
)
# KEYS: presence sets of this process's entries (n), more sets to sweep (m), guest claims.
# ARGV: 1-4 as above, 5 n, 6 m, then each entry's member, then per guest claim its session id
# and idle TTL ms.
_REFRESH = (
    _COMMON
    + """
local n, m = tonumber(ARGV[5]), tonumber(ARGV[6])
for i = 1, n do
  redis.call('ZADD', KEYS[i], ARGV[4], ARGV[6 + i])
  keep(KEYS[i])
end
local swept = {}
for i = 1, n + m do
  local zset = KEYS[i]
  if not swept[zset] then
    swept[zset] = true
    local expired = redis.call('ZRANGEBYSCORE', zset, '-inf', '(' .. ARGV[3])
    if #expired > 0 then
      redis.call('ZREMRANGEBYSCORE', zset, '-inf', '(' .. ARGV[3])
      local told = {}
      for _, member in ipairs(expired) do
        local name = string.match(member, '^(.*)|')
        if name and not told[name] and not live_elsewhere(zset, name, '', ARGV[3]) then
          told[name] = true
          announce(zset, name, 'leave')
        end
      end
    end
  end
end
local g = 7 + n
for i = n + m + 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[g] then redis.call('PEXPIRE', KEYS[i], ARGV[g + 1]) end
  g = g + 2
end
"""
)


def _names(members: Any) -> set[str]:
    return {str(m).rsplit("|", 1)[0] for m in members}


class Presence:
    def __init__(self, redis: Redis, ttl_seconds: float, grace_seconds: float, guest_idle_seconds: int) -> None:
        self._redis = redis
        self._ttl_ms = int(ttl_seconds * 1000)
        self._grace_ms = int(grace_seconds * 1000)
        self._guest_idle_ms = guest_idle_seconds * 1000
        self._instance = uuid.uuid4().hex[:12]
        self._local: dict[tuple[str, str], tuple[Identity, int]] = {}
        self._join = redis.register_script(_JOIN)
        self._leave = redis.register_script(_LEAVE)
        self._refresh = redis.register_script(_REFRESH)
        self._prefix = keys.presence("")

    def _member(self, who: Identity) -> str:
        return f"{who.name}|{self._instance}"

    def _args(self, who: Identity) -> list[str | int]:
        now = int(time.time() * 1000)
        return [self._prefix, keys.LIVE_PREFIX, now, now + self._ttl_ms, self._member(who), who.name]

    def _leave_args(self, who: Identity) -> list[str | int]:
        now = int(time.time() * 1000)
        return [self._prefix, keys.LIVE_PREFIX, now, now + self._grace_ms, self._member(who), who.name]

    @asynccontextmanager
    async def present(self, rooms: tuple[str, ...], who: Identity | None) -> AsyncIterator[None]:
        """Marks `who` online in `rooms` for as long as the block runs."""
        if who is None:
            yield
            return
        joined = []
        for room in rooms:
            slot = (room, who.key)
            _, count = self._local.get(slot, (who, 0))
            self._local[slot] = (who, count + 1)
            if count == 0:
                joined.append(room)
        for room in joined:
            await self._call(self._join, room, self._args(who))
        try:
            yield
        finally:
            for room in rooms:
                slot = (room, who.key)
                _, count = self._local[slot]
                if count > 1:
                    self._local[slot] = (who, count - 1)
                    continue
                del self._local[slot]
                # Shielded: a cancelled stream must still say goodbye (else expiry does, later).
                await asyncio.shield(self._call(self._leave, room, self._leave_args(who)))

    async def _call(self, script: object, room: str, args: list[str | int]) -> None:
        try:
            await script(keys=[keys.presence(room)], args=args)  # type: ignore[operator]
        except RedisError as exc:
            logger.warning("presence update failed (%s); the next refresh repairs it", exc)

    async def online(self, room: str) -> list[str]:
        now = int(time.time() * 1000)
        members = await self._redis.zrangebyscore(keys.presence(room), now, "+inf")
        return sorted(_names(members), key=str.lower)

    async def online_counts(self, rooms: list[str]) -> dict[str, int]:
        now = int(time.time() * 1000)
        async with self._redis.pipeline(transaction=False) as pipe:
            for room in rooms:
                pipe.zrangebyscore(keys.presence(room), now, "+inf")
            replies = await pipe.execute()
        return {room: len(_names(members)) for room, members in zip(rooms, replies, strict=True)}

    async def refresh(self, watched: Iterable[str] = ()) -> None:
        """One script call for every local entry: extend them, keep guests' names, and sweep the
        expired entries of every room someone here follows, announcing who left."""
        entries = list(self._local.items())
        rooms = {room for (room, _) in self._local}
        sweep_only = [room for room in dict.fromkeys(watched) if room not in rooms]
        guests = {who.key: who for (_, _), (who, _) in entries if who.kind == "guest"}
        if not entries and not sweep_only:
            return
        now = int(time.time() * 1000)
        args: list[str | int] = [self._prefix, keys.LIVE_PREFIX, now, now + self._ttl_ms, len(entries), len(sweep_only)]
        args += [self._member(who) for _, (who, _) in entries]
        for who in guests.values():
            args += [who.sid, self._guest_idle_ms]
        await self._refresh(
            keys=[keys.presence(room) for (room, _), _ in entries]
            + [keys.presence(room) for room in sweep_only]
            + [keys.guest(k) for k in guests],
            args=args,
        )

    async def run(self, every: float, watched: Callable[[], Iterable[str]]) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.refresh(watched())
            except RedisError as exc:
                logger.warning("presence refresh failed: %s", exc)
