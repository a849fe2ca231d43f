"""Messages in Redis Streams: send (one script call), history pages, search and replay after a
cursor (read through api/broker/reading.py, messages as they now are)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

from redis.asyncio import Redis, RedisCluster

from api.broker import keys, scripts
from api.broker.reading import Page, StreamReader
from api.domain.identity import Identity
from api.wire import message
from api.wire.events import Event
from api.wire.ids import ZERO, StreamKey, format_stream_id, parse_stream_id

__all__ = ["Bounds", "MessageStore", "Page", "SendLimits", "SendResult", "SendStatus"]

# send.lua's keys in other slots than the room's (the room index, the sender's account, sessions
# and rate counter): on a Redis Cluster send_sender.lua does their part.
SENDER_KEYS = (2, 5, 6, 7)
# Entries read per replay page: a page is what one connection holds at most (entries are at most
# a few tens of KB), however far back it resumes and however slowly it reads.
REPLAY_PAGE = 100
# How long an idempotency key the server made for one send is kept: long enough for Redis to run
# every attempt of that call (attempts queued in a paused Redis run as soon as it resumes).
SERVER_KEY_SECONDS = 10
# A history page reads at most this many entries looking for its messages (changes are entries too).
HISTORY_SCAN = 1000
# A search reads at most this many entries per request, in runs of SEARCH_RUN, newest first.
SEARCH_SCAN = 500
SEARCH_RUN = 100
# Messages that mention someone, kept per person and room (for their count of unread mentions).
MENTIONS_KEPT = 1000

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
    NO_SUCH_REPLY = -4
    REPLY_DELETED = -5
    FILE_NOT_ATTACHABLE = -6


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    id: str = ""
    message_json: str = ""
    retry_ms: int = 0
    refused_file: int = 0  # FILE_NOT_ATTACHABLE: which file (1-based)


@dataclass(frozen=True)
class SendLimits:
    guest_idle_ms: int
    per_window: int
    window_ms: int


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
        self._cluster = isinstance(redis, RedisCluster)
        self._send = scripts.register(redis, "send", "attach", "sender_lib")
        self._send_sender = scripts.register(redis, "send_sender", "sender_lib")
        self.reader = StreamReader(redis)

    async def send(
        self,
        room: str,
        who: Identity,
        text: str,
        client_id: str | None,
        reply_to: str | None = None,
        mentions: list[str] | None = None,
        file_ids: Sequence[str] = (),
    ) -> SendResult:
        """Stores and publishes a message, at most once per idempotency key. Every send has one:
        the client's `client_id` (kept IDEMPOTENCY_SECONDS), or else one made for this call alone,
        kept seconds, so that Redis running the script twice (a retried call whose first attempt
        was queued) stores it once. A reply gets its quote of the answered message in the script."""
        fields: dict[str, object] = {"room": room, "user_id": who.user_id, "text": text}
        if mentions:
            fields["mentions"] = mentions
        if client_id:
            fields["client_id"] = client_id
        body = message.body(**fields)
        # Per sender, so one person's client_id cannot shadow another's; '~' is no client_id's.
        key, ttl = (client_id, self._idem_ttl) if client_id else (f"~{random.getrandbits(72):018x}", SERVER_KEY_SECONDS)
        limits = self._limits
        send_keys = [
            keys.stream(room),
            keys.idempotency(room, f"{who.user_id}:{key}"),
            keys.ROOMS,
            keys.room(room),
            keys.members(room),
            keys.account(who.user_id),
            keys.sessions(who.user_id),
            keys.send_rate(who.user_id),
            keys.reads(room),
            keys.edits(room),
            *(keys.file(room, file_id) for file_id in file_ids),
            *(keys.mentions(room, user_id) for user_id in mentions or ()),
        ]
        args: list[str | int] = [
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
            reply_to or "",
            message.QUOTE_CHARS,
            MENTIONS_KEPT,
            len(file_ids),
        ]
        if self._cluster:
            reply = await self._send_on_cluster(room, who, send_keys, args)
        else:
            reply = await self._send(keys=send_keys, args=args)
        status = SendStatus(int(reply[0]))
        if status is SendStatus.SENT:
            id, number, author, stored = (str(part) for part in reply[1:5])
            return SendResult(status, id, message.message_json(id, number, author, stored or body))
        if status is SendStatus.REPLAYED:
            id, number, author, stored, state, reactions = (str(part) for part in reply[1:7])
            # Trimmed away since: only its id is left to tell.
            if not number:
                json_text = message.trimmed_json(id, room)
            else:
                fields_ = {message.NUMBER: number, message.AUTHOR: author, message.BODY: stored}
                json_text = message.current_json(id, fields_, room, state or None, reactions or None)
            # A key of the server's own was found by this very call, run twice: it is still news.
            return SendResult(status if client_id else SendStatus.SENT, id, json_text)
        if status is SendStatus.RATE_LIMITED:
            return SendResult(status, retry_ms=int(reply[1]))
        if status is SendStatus.FILE_NOT_ATTACHABLE:
            return SendResult(status, refused_file=int(reply[1]))
        return SendResult(status)

    async def _send_on_cluster(self, room: str, who: Identity, send_keys: list[str], args: list[str | int]) -> Any:
        """A send on a Redis Cluster, where one script reaches one slot: the sender's checks in the
        account's slot (send_sender.lua), then send.lua in the room's slot, told the author and
        with the other slots' keys left out, while the room index (a slot of its own) learns of
        the activity. Two round trips."""
        limits = self._limits
        checked = await self._send_sender(
            keys=[keys.account(who.user_id), keys.sessions(who.user_id), keys.send_rate(who.user_id)],
            args=[who.sid, limits.guest_idle_ms, limits.per_window, limits.window_ms],
        )
        if int(checked[0]) != 1:
            return checked
        in_room = list(send_keys)
        for index in SENDER_KEYS:  # never read when the author is given: any key of the room's slot
            in_room[index] = keys.stream(room)
        stored, _ = await asyncio.gather(
            self._send(keys=in_room, args=[*args, str(checked[1])]),
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
        """Going back (`before`, or from the newest): `limit` messages as they now are, oldest
        first. After a cursor: the next `limit` entries, messages and changes alike."""
        reader = self.reader
        if after is not None:
            run = await reader.run(room, after, newest_first=False, entries=limit + 1)
            covered = run.entries[:limit]
            messages, changes = [], []
            for entry in covered:
                event = run.event(room, entry)
                if event is None:
                    continue
                if event.kind == "message":
                    messages.append(event.data)
                else:
                    changes.append(event.ws())
            last = covered[-1][0] if covered else None
            return Page(messages, len(run.entries) > limit, changes, last_id=last)
        if before == ZERO:
            return Page([], False)  # nothing comes before the first possible id (and Redis refuses "(0-0")
        run = await reader.run(room, before, newest_first=True, entries=HISTORY_SCAN, messages=limit + 1)
        found = run.messages(room)
        has_more = len(found) > limit or not run.done
        shown = found[:limit]
        if len(found) > limit:
            next_before = shown[-1][0]
        elif has_more:
            next_before = run.entries[-1][0]
        else:
            next_before = None
        return Page([text for _, text in reversed(shown)], has_more, next_before=next_before)

    async def search(self, room: str, query: str, limit: int, before: StreamKey | None) -> Page:
        """Messages as they now are whose text holds `query` (case-insensitive), newest first,
        reading at most SEARCH_SCAN entries; `next_before` goes on where this one stopped."""
        needle = query.casefold()
        found: list[tuple[str, str]] = []
        cursor, scanned = before, 0
        while scanned < SEARCH_SCAN and len(found) < limit:
            if cursor == ZERO:
                return Page([text for _, text in found], False)
            run = await self.reader.run(room, cursor, newest_first=True, entries=SEARCH_RUN)
            scanned += len(run.entries)
            for entry_id, text in run.messages(room):
                current = json.loads(text)
                if not current.get("deleted") and needle in str(current.get("text", "")).casefold():
                    found.append((entry_id, text))
                    if len(found) == limit:
                        return Page([t for _, t in found], True, next_before=entry_id)
            if run.done or not run.entries:
                return Page([text for _, text in found], False)
            cursor = parse_stream_id(run.entries[-1][0])
        return Page([text for _, text in found], True, next_before=format_stream_id(cursor) if cursor else None)

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

    def replay(self, room: str, after: StreamKey) -> AsyncIterator[Event]:
        """Every kept entry after `after` as clients see it (messages as they now are, and the
        changes made to them), oldest first, in pages."""
        return self.reader.replay(room, after, REPLAY_PAGE)
