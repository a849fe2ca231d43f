"""Editing, deleting and reacting to messages: what HTTP and WebSocket both call.

Each change is checked and stored by one script call (api/broker/changes.py); before it, one call
on the person's own slot checks the session and counts the change against their send rate (a
change is an entry of the room's stream, as a message is: unlimited toggling would push messages
out of history). Two round trips, three when the edited text holds an '@'.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from api.broker.accounts import AccountStore
from api.broker.changes import ChangeResult, ChangeStatus, ChangeStore
from api.broker.rates import RateCounters
from api.domain.conversation import MAX_REACTIONS, check_emoji
from api.domain.errors import Code, DomainError
from api.domain.identity import Identity
from api.domain.messages import check_message_id, check_text
from api.usecases.mentions import resolve

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Changed:
    id: str | None  # the change's id in the room's stream; None when nothing changed
    message_json: str  # the message as it now is
    stored_body: str  # the message's body as sent (after a delete: what it referred to)


class Conversation:
    def __init__(
        self,
        store: ChangeStore,
        accounts: AccountStore,
        counters: RateCounters,
        *,
        max_chars: int,
        admins: frozenset[str],
        per_window: int,
        window_seconds: int,
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._counters = counters
        self._max_chars = max_chars
        self._admins = admins
        self._per_window = per_window
        self._window = window_seconds

    async def edit(self, room: str, who: Identity, message_id: object, text: object) -> Changed:
        id = _message_id(message_id)
        checked = check_text(text, self._max_chars)
        await self._may_write(who)
        mentions = await resolve(self._accounts, checked)
        edited_ts = int(time.time() * 1000)
        return _changed(room, id, await self._store.edit(room, id, who, checked, edited_ts, mentions))

    async def delete(self, room: str, who: Identity, message_id: object) -> Changed:
        """Deletes a message (its author, the room's creator, an admin). What the deleted message
        referred to (its stored body: files to let go of) comes back in `stored_body`."""
        id = _message_id(message_id)
        await self._may_write(who)
        admin = who.kind == "user" and who.key in self._admins
        return _changed(room, id, await self._store.delete(room, id, who, admin))

    async def react(self, room: str, who: Identity, message_id: object, emoji: object, on: bool) -> Changed:
        id = _message_id(message_id)
        checked = check_emoji(emoji if isinstance(emoji, str) else "")
        await self._may_write(who)
        return _changed(room, id, await self._store.react(room, id, who, checked, on))

    async def _may_write(self, who: Identity) -> None:
        wait = await self._counters.session_write(who.user_id, who.sid, self._per_window, self._window)
        if wait < 0:
            raise DomainError(
                Code.SESSION_ENDED, "this session has ended (signed out, or a guest idle too long); sign in again"
            )
        if wait:
            retry = max(1, -(-wait // 1000))
            raise DomainError(Code.RATE_LIMITED, f"too many messages; try again in {retry} s", retry_after=retry)


def _message_id(value: object) -> str:
    return check_message_id(value if isinstance(value, str) else "", "message id")


def _changed(room: str, message_id: str, result: ChangeResult) -> Changed:
    status = result.status
    if status is ChangeStatus.CHANGED or status is ChangeStatus.UNCHANGED:
        return Changed(result.id or None, result.message_json, result.stored_body)
    if status is ChangeStatus.NOT_A_MEMBER:
        raise DomainError(Code.NOT_A_MEMBER, f"room {room!r} is private and you are not a member")
    if status is ChangeStatus.NO_SUCH_MESSAGE:
        raise DomainError(Code.NO_SUCH_MESSAGE, f"room {room!r} has no message {message_id!r} (or no longer keeps it)")
    if status is ChangeStatus.DELETED:
        raise DomainError(Code.MESSAGE_DELETED, f"message {message_id!r} was deleted")
    if status is ChangeStatus.NOT_ALLOWED:
        raise DomainError(
            Code.NOT_ALLOWED, "only its author edits a message; its author, the room's creator or an admin deletes it"
        )
    raise DomainError(Code.TOO_MANY_REACTIONS, f"a message carries at most {MAX_REACTIONS} different reactions")
