"""Sending, history pages and the long-poll: what HTTP and WebSocket both call."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from api.broker.accounts import AccountStore
from api.broker.rooms import RoomStore
from api.broker.signals import Signals
from api.broker.store import MessageStore, Page, SendResult, SendStatus
from api.broker.subscription import Closed, Subscription
from api.domain.errors import Code, DomainError
from api.domain.files import check_file_ids
from api.domain.identity import Identity
from api.domain.messages import check_client_id, check_message_id, check_text
from api.observability.metrics import Metrics
from api.usecases.access import check_read
from api.usecases.mentions import resolve
from api.usecases.streams import Streams
from api.wire.ids import StreamKey


@dataclass(frozen=True)
class Sent:
    id: str
    message_json: str  # the message as clients see it, JSON text
    replayed: bool  # an earlier send with the same client id: nothing new was stored


@dataclass(frozen=True)
class History:
    page: Page
    reads: list[dict[str, Any]]
    reset: bool = False  # the cursor was trimmed away or belongs to a wiped store
    after: bool = False  # a page after a cursor (a long-poll's): it holds the changes too


class Messaging:
    def __init__(
        self,
        store: MessageStore,
        rooms: RoomStore,
        accounts: AccountStore,
        signals: Signals,
        streams: Streams,
        max_chars: int,
        metrics: Metrics,
    ) -> None:
        self._store = store
        self._rooms = rooms
        self._accounts = accounts
        self._signals = signals
        self._streams = streams
        self._max_chars = max_chars
        self._metrics = metrics

    async def send(
        self,
        room: str,
        who: Identity,
        text: object,
        client_id: object,
        reply_to: object = None,
        files: object = None,
    ) -> Sent:
        """Stores and publishes a message from `who`, at most once per client id; counted by result
        (and timed, unless refused before reaching the store). `@name`s are resolved to the
        accounts holding them (one more round trip, only for a text with an '@')."""
        started = time.perf_counter()
        outcome = "error"
        try:
            file_ids = check_file_ids(files, room)
            # Files alone make a message: its text may be empty then.
            blank = text is None or (isinstance(text, str) and not text.strip())
            checked = "" if file_ids and blank else check_text(text, self._max_chars)
            client = check_client_id(client_id)
            answered = _reply_to(reply_to)
            mentions = await resolve(self._accounts, checked) if checked else []
            result = await self._store.send(room, who, checked, client, answered, mentions, file_ids)
            outcome = result.status.name.lower()
            return _sent(room, result, file_ids)
        except DomainError as exc:
            if outcome == "error":
                outcome = "unavailable" if exc.code is Code.UNAVAILABLE else "invalid"
            raise
        except (RedisError, OSError):
            outcome = "unavailable"
            raise
        finally:
            self._metrics.send(outcome, None if outcome == "invalid" else time.perf_counter() - started)

    async def history(self, room: str, who: Identity | None, limit: int, before: StreamKey | None) -> History:
        await check_read(self._rooms, room, who)
        page = await self._store.page(room, limit, before=before)
        return History(page, await self._signals.positions(room))

    async def search(
        self, room: str, who: Identity | None, query: str, limit: int, before: StreamKey | None
    ) -> History:
        """Messages as they now are whose text holds `query`, newest first, a bounded read each."""
        if not query.strip():
            raise DomainError(Code.INVALID_REQUEST, "q: give some text to search for")
        await check_read(self._rooms, room, who)
        return History(await self._store.search(room, query, limit, before), [])

    async def poll(self, room: str, who: Identity | None, after: StreamKey, limit: int, wait: float) -> History:
        """The messages after `after`; if there are none yet, waits up to `wait` seconds for one."""
        async with self._streams.open((room,), who, {room: after}, present=False) as opened:
            reset = opened.reset
            page = await self._store.page(room, limit, after=after)
            if not page.messages and not reset and wait > 0:
                try:
                    await asyncio.wait_for(_next_message(opened.sub), wait)
                except (TimeoutError, Closed):
                    pass
                else:
                    page = await self._store.page(room, limit, after=after)
        return History(page, await self._signals.positions(room), reset, after=True)


async def _next_message(sub: Subscription) -> None:
    while not any(event.key is not None for event in await sub.get()):
        pass


def _reply_to(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DomainError(Code.INVALID_CURSOR, "reply_to: give the id of the message answered")
    return check_message_id(value, "reply_to")


def _sent(room: str, result: SendResult, file_ids: list[str]) -> Sent:
    status = result.status
    if status is SendStatus.SENT or status is SendStatus.REPLAYED:
        return Sent(result.id, result.message_json, replayed=status is SendStatus.REPLAYED)
    if status is SendStatus.SESSION_ENDED:
        raise DomainError(
            Code.SESSION_ENDED, "this session has ended (signed out, or a guest idle too long); sign in again"
        )
    if status is SendStatus.FILE_NOT_ATTACHABLE:
        refused = file_ids[result.refused_file - 1]
        raise DomainError(
            Code.FILE_NOT_ATTACHABLE,
            f"file {refused!r} cannot be attached: only your own uploads to {room!r} that no message holds yet "
            "(uploads expire unattached)",
        )
    if status is SendStatus.NOT_A_MEMBER:
        raise DomainError(Code.NOT_A_MEMBER, f"only members of the private room {room!r} can send to it")
    if status is SendStatus.NO_SUCH_REPLY:
        raise DomainError(Code.NO_SUCH_MESSAGE, f"room {room!r} has no such message to answer (or no longer keeps it)")
    if status is SendStatus.REPLY_DELETED:
        raise DomainError(Code.MESSAGE_DELETED, "the message answered was deleted")
    retry = max(1, -(-result.retry_ms // 1000))
    raise DomainError(Code.RATE_LIMITED, f"too many messages; try again in {retry} s", retry_after=retry)
