"""Messages in Redis Streams: send (one script call), history pages and replay after a cursor."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

from redis.asyncio import Redis, RedisCluster

from api.broker import keys, scripts
from api.domain.identity import Identity
from api.wire import message
from api.wire.ids import ZERO, StreamKey, format_stream_id, parse_stream_id

# Entries read per replay page: a page is what one connection holds at most (entries are at most
# a few tens of KB), however far back it resumes and however slowly it reads.
REPLAY_PAGE = 100
# How long an idempotency key the server made for one send is kept: long enough for Redis to run
# every attempt of that call (attempts queued in a paused Redis run as soon as it resumes).
SERVER_KEY_SECONDS = 10

Entries = list[tuple[str, dict[str, str]]]


def _entries(reply: Any) -> Entries:
    # The client decodes responses, so ids and fields are str (redis-py types them loosely).
    return cast(Entries, reply or [])


class SendStatus(Enum):
    SENT = 1
    REPLAYED = 0
    SESSION_ENDED = -1
    NOT_A_MEMBER = -2
    RATE_LIMITED = -3


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    id: str = ""
    message_json: str = ""
    retry_ms: int = 0


@dataclass(frozen=True)
class SendLimits:
    guest_idle_ms: int
    per_window: int
    window_ms: int


@dataclass(frozen=True)
class Page:
    messages: list[str]  # message JSON texts, oldest first
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
    def __init__(self, redis: Redis | RedisCluster, maxlen: int, idempotency_seconds: int, limits: SendLimits) -> None:
        self._redis = redis
        self._maxlen = maxlen
        self._idem_ttl = idempotency_seconds
        self._limits = limits
        self._cluster = isinstance(redis, RedisCluster)
        self._send = scripts.register(redis, "send")
        self._send_sender = scripts.register(redis, "send_sender")
        self._send_room = scripts.register(redis, "send_room")

    async def send(self, room: str, who: Identity, text: str, client_id: str | None) -> SendResult:
        """Stores and publishes a message, at most once per idempotency key. Every send has one:
        the client's `client_id` (kept IDEMPOTENCY_SECONDS), or else one made for this call alone,
        kept seconds, so that Redis running the script twice (a retried call whose first attempt
        was queued) stores it once."""
        fields: dict[str, object] = {"room": room, "user_id": who.user_id, "text": text}
        if client_id:
            fields["client_id"] = client_id
        body = message.body(**fields)
        # Per sender, so one person's client_id cannot shadow another's; '~' is no client_id's.
        key, ttl = (client_id, self._idem_ttl) if client_id else ("~" + secrets.token_urlsafe(12), SERVER_KEY_SECONDS)
        limits = self._limits
        if self._cluster:
            reply = await self._send_on_cluster(room, who, body, key, ttl)
        else:
            reply = await self._send(
                keys=[
                    keys.stream(room),
                    keys.idempotency(room, f"{who.user_id}:{key}"),
                    keys.ROOMS,
                    keys.room(room),
                    keys.members(room),
                    keys.account(who.user_id),
                    keys.sessions(who.user_id),
                    keys.send_rate(who.user_id),
                    keys.reads(room),
                ],
                args=[
                    keys.live(room),
                    room,
                    body,
                    self._maxlen,
                    ttl,
                    who.user_id,
                    who.sid,
                    limits.guest_idle_ms,
                    limits.per_window,
                    limits.window_ms,
                ],
            )
        status = SendStatus(int(reply[0]))
        if status is SendStatus.SENT:
            id, number, author = str(reply[1]), str(reply[2]), str(reply[3])
            return SendResult(status, id, message.message_json(id, number, author, body))
        if status is SendStatus.REPLAYED:
            id, number, author, stored = (str(part) for part in reply[1:5])
            # Trimmed away since: only its id is left to tell.
            json_text = message.message_json(id, number, author, stored) if number else message.trimmed_json(id, room)
            # A key of the server's own was found by this very call, run twice: it is still news.
            return SendResult(status if client_id else SendStatus.SENT, id, json_text)
        if status is SendStatus.RATE_LIMITED:
            return SendResult(status, retry_ms=int(reply[1]))
        return SendResult(status)

    async def _send_on_cluster(self, room: str, who: Identity, body: str, key: str, ttl: int) -> Any:
        """The two halves of a send on a Redis Cluster, where one script reaches one slot: the
        sender's checks in the account's slot, then the message in the room's, while the room
        index (a slot of its own) learns of the activity. Two round trips."""
        limits = self._limits
        checked = await self._send_sender(
            keys=[keys.account(who.user_id), keys.sessions(who.user_id), keys.send_rate(who.user_id)],
            args=[who.sid, limits.guest_idle_ms, limits.per_window, limits.window_ms],
        )
        if int(checked[0]) != 1:
            return checked
        stored, _ = await asyncio.gather(
            self._send_room(
                keys=[
                    keys.stream(room),
                    keys.idempotency(room, f"{who.user_id}:{key}"),
                    keys.room(room),
                    keys.members(room),
                    keys.reads(room),
                    keys.live(room),
                ],
                args=[room, body, self._maxlen, ttl, who.user_id, str(checked[1])],
            ),
            # GT: activity only moves forward. A send refused as not a member's still moves it.
            self._redis.zadd(keys.ROOMS, {room: int(time.time() * 1000)}, gt=True),
        )
        return stored

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
        elif before == ZERO:
            return Page([], False)  # nothing comes before the first possible id (and Redis refuses "(0-0")
        else:
            top = "(" + format_stream_id(before) if before is not None else "+"
            entries = _entries(await self._redis.xrevrange(stream, top, "-", count=limit + 1))
            has_more = len(entries) > limit
            entries = entries[:limit][::-1]
        return Page([message.from_entry(i, f) for i, f in entries], has_more)

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
                yield entry_id, message.from_entry(entry_id, fields)
            if len(entries) < REPLAY_PAGE:
                return
            cursor = entries[-1][0]
