"""Changes to sent messages (edit, delete, react): one script call each, which checks who may,
appends the change to the room's stream, keeps the message's new state and publishes the change."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from redis.asyncio import Redis

from api.broker import keys, scripts
from api.domain.conversation import MAX_REACTIONS
from api.domain.identity import Identity
from api.wire import changes, message


class ChangeStatus(Enum):
    CHANGED = 1
    UNCHANGED = 0
    NOT_A_MEMBER = -2
    NO_SUCH_MESSAGE = -3
    DELETED = -4
    NOT_ALLOWED = -5
    TOO_MANY = -6


@dataclass(frozen=True)
class ChangeResult:
    status: ChangeStatus
    id: str = ""  # the change's own stream id ("" when nothing changed)
    message_json: str = ""  # the message as it now is (edit, reaction)
    stored_body: str = ""  # the message's body as sent (delete: what it referred to, such as files)


class ChangeStore:
    def __init__(self, redis: Redis, maxlen: int) -> None:
        self._maxlen = maxlen
        self._edit = scripts.register(redis, "edit", "change_lib")
        self._delete = scripts.register(redis, "delete", "change_lib")
        self._react = scripts.register(redis, "react", "change_lib")

    def _keys(self, room: str) -> list[str]:
        return [keys.stream(room), keys.edits(room), keys.edited(room), keys.room(room), keys.members(room)]

    def _args(self, room: str, message_id: str, who: Identity, change: str) -> list[Any]:
        return [message_id, who.user_id, keys.live(room), self._maxlen, change, keys.mentions_prefix(room)]

    async def edit(
        self, room: str, message_id: str, who: Identity, text: str, edited_ts: int, mentions: list[str]
    ) -> ChangeResult:
        change = changes.edit(message_id, room, who.user_id, who.name, text, edited_ts, mentions)
        state = changes.edited_state(text, edited_ts, mentions)
        reply = await self._edit(
            keys=self._keys(room), args=[*self._args(room, message_id, who, change), state, *mentions]
        )
        return _result(room, message_id, reply)

    async def delete(self, room: str, message_id: str, who: Identity, admin: bool) -> ChangeResult:
        change = changes.delete(message_id, room, who.user_id, who.name)
        reply = await self._delete(
            keys=self._keys(room), args=[*self._args(room, message_id, who, change), "1" if admin else "0"]
        )
        status = ChangeStatus(int(reply[0]))
        if status is not ChangeStatus.CHANGED:
            return ChangeResult(status)
        id, number = str(reply[1]), str(reply[2])
        return ChangeResult(status, id, message.deleted_json(message_id, number, room), str(reply[4]))

    async def react(self, room: str, message_id: str, who: Identity, emoji: str, on: bool) -> ChangeResult:
        change = changes.reaction(message_id, room, emoji, who.user_id, who.name, on)
        reply = await self._react(
            keys=self._keys(room),
            args=[*self._args(room, message_id, who, change), emoji, "1" if on else "0", MAX_REACTIONS],
        )
        return _result(room, message_id, reply)


def _result(room: str, message_id: str, reply: list[Any]) -> ChangeResult:
    """{status, change id, n, author, body, state, reactions, reply gone} as a result."""
    status = ChangeStatus(int(reply[0]))
    if status not in (ChangeStatus.CHANGED, ChangeStatus.UNCHANGED):
        return ChangeResult(status)
    id, number, author, body, state, reactions = (str(part) for part in reply[1:7])
    fields = {message.NUMBER: number, message.AUTHOR: author, message.BODY: body}
    now = message.current_json(message_id, fields, room, state or None, reactions or None, bool(int(reply[7])))
    return ChangeResult(status, id, now, body)
