"""Messages in Redis Streams: send (one script call), history pages and replay after a cursor."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from redis.asyncio import Redis

from api.broker import keys
from api.domain.identity import Identity
from api.errors import DomainError
from api.wire.events import StreamKey, format_stream_id, parse_stream_id

_SEND_LUA = (Path(__file__).parent / "send.lua").read_text()
REPLAY_PAGE = 500
ZERO: StreamKey = (0, 0)


def message_json(entry_id: str, fields: dict[str, str]) -> str:
    """The client-facing JSON of a stored entry; mirrors what send.lua builds."""
    ms = entry_id.split("-", 1)[0]
    return '{"id":"' + entry_id + '","ts":' + ms + ',"n":' + fields["n"] + "," + fields["m"]


Entries = list[tuple[str, dict[str, str]]]


def _entries(reply: Any) -> Entries:
    # The client decodes responses, so ids and fields are str (redis-py types them loosely).
    return cast(Entries, reply or [])


@dataclass(frozen=True)
class Sent:
    message: str
    created: bool


@dataclass(frozen=True)
class SendLimits:
    guest_idle_ms: int
    per_window: int
    window_ms: int


@dataclass(frozen=True)
class Page:
    messages: list[str]
    has_more: bool


@dataclass(frozen=True)
class Bounds:
    """The oldest and newest ids a room's stream holds; both None when it holds nothing."""

    oldest: StreamKey | None
    newest: StreamKey | None

    def resumable(self, after: StreamKey) -> bool:
        """Whether replaying after `after` loses nothing. A client's id older than the oldest kept
        was trimmed, and so may be what followed it; one newer than the newest belongs to a store
        that was wiped. ZERO asks for everything kept."""
        if after == ZERO:
            return True
        if self.oldest is None or self.newest is None:
            return False
        return self.oldest <= after <= self.newest


class MessageStore:
    def __init__(self, redis: Redis, maxlen: int, idempotency_seconds: int, limits: SendLimits) -> None:
        self._redis = redis
        self._maxlen = maxlen
        self._idem_ttl = idempotency_seconds
        self._limits = limits
        self._send = redis.register_script(_SEND_LUA)

    async def send(self, room: str, who: Identity, text: str, client_id: str | None) -> Sent:
        fields: dict[str, str] = {"room": room, "user": who.name, "text": text}
        if client_id:
            fields["client_id"] = client_id
        rest = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))[1:]
        # Idempotency keys are per sender, so one user's client_id cannot shadow another's.
        idem_key = keys.idempotency(room, f"{who.key}:{client_id or '-'}")
        limits = self._limits
        status, value = await self._send(
            keys=[
                keys.stream(room),
                idem_key,
                keys.ROOMS,
                keys.room(room),
                keys.members(room),
                keys.guest(who.key),
                keys.send_rate(who.key),
                keys.reads(room),
            ],
            args=[
                keys.live(room),
                room,
                rest,
                self._maxlen,
                self._idem_ttl,
                "1" if client_id else "0",
                who.key,
                who.sid if who.kind == "guest" else "",
                limits.guest_idle_ms,
                limits.per_window,
                limits.window_ms,
                who.name,
            ],
        )
        status = int(status)
        if status == -1:
            raise DomainError(401, "name_released", "your guest name was released after inactivity; sign in again")
        if status == -2:
            raise DomainError(403, "not_a_member", f"only members of the private room {room!r} can send to it")
        if status == -3:
            retry = max(1, -(-int(value) // 1000))
            raise DomainError(429, "rate_limited", f"too many messages; try again in {retry} s", retry_after=retry)
        return Sent(message=value, created=status == 1)

    async def page(
        self,
        room: str,
        limit: int,
        before: StreamKey | None = None,
        after: StreamKey | None = None,
    ) -> Page:
        stream = keys.stream(room)
        if after is not None:
            entries = _entries(await self._redis.xrange(stream, "(" + format_stream_id(after), "+", count=limit + 1))
            has_more = len(entries) > limit
            entries = entries[:limit]
        else:
            top = "(" + format_stream_id(before) if before is not None else "+"
            entries = _entries(await self._redis.xrevrange(stream, top, "-", count=limit + 1))
            has_more = len(entries) > limit
            entries = entries[:limit][::-1]
        return Page([message_json(i, f) for i, f in entries], has_more)

    async def bounds(self, room: str) -> Bounds:
        stream = keys.stream(room)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xrange(stream, "-", "+", count=1)
            pipe.xrevrange(stream, "+", "-", count=1)
            first, last = (_entries(reply) for reply in await pipe.execute())
        if not first:
            return Bounds(None, None)
        return Bounds(parse_stream_id(first[0][0]), parse_stream_id(last[0][0]))

    async def newest(self, room: str) -> StreamKey:
        last = _entries(await self._redis.xrevrange(keys.stream(room), "+", "-", count=1))
        return parse_stream_id(last[0][0]) if last else ZERO

    async def replay(self, room: str, after: StreamKey) -> AsyncIterator[tuple[str, str]]:
        """Every kept (id, message JSON) after `after`, oldest first, in pages."""
        cursor = format_stream_id(after)
        while True:
            entries = _entries(await self._redis.xrange(keys.stream(room), "(" + cursor, "+", count=REPLAY_PAGE))
            for entry_id, fields in entries:
                yield entry_id, message_json(entry_id, fields)
            if len(entries) < REPLAY_PAGE:
                return
            cursor = entries[-1][0]
