"""Reading a room's stream: messages as they now are, and the changes made to them, in pages.

One script call reads a run of entries and the current state of every message they show
(api/broker/lua/entries.lua); this module turns them into what clients see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, cast

from redis.asyncio import Redis

from api.broker import keys, scripts
from api.wire import changes, message
from api.wire.events import Event
from api.wire.ids import ZERO, StreamKey, format_stream_id, parse_stream_id

Entry = tuple[str, dict[str, str]]
LAST: StreamKey = (2**64 - 1, 2**64 - 1)


@dataclass(frozen=True)
class Run:
    """A run of entries read in one call, with the states they need; `done` when the stream had
    nothing more in that direction."""

    entries: list[Entry]
    states: dict[str, str]
    done: bool

    def event(self, room: str, entry: Entry) -> Event | None:
        """An entry as clients see it: a message as it now is, or a change. An edit of a message
        deleted since is left out: its text is never sent again."""
        entry_id, fields = entry
        kind = fields.get(changes.KIND)
        if kind is not None:
            if kind == changes.EDIT and changes.is_deleted(self.states.get(fields[changes.TARGET])):
                return None
            return Event(room, kind, changes.change_json(entry_id, fields[changes.DATA]), entry_id)
        return Event(room, "message", self.message(room, entry), entry_id)

    def message(self, room: str, entry: Entry) -> str:
        entry_id, fields = entry
        reply = fields.get(message.REPLY)
        return message.current_json(
            entry_id,
            fields,
            room,
            self.states.get(entry_id),
            self.states.get(entry_id + changes.REACTIONS_FIELD),
            reply is not None and changes.is_deleted(self.states.get(reply)),
        )

    def messages(self, room: str) -> list[tuple[str, str]]:
        """(id, message JSON) of the messages of the run, in its order."""
        return [(e[0], self.message(room, e)) for e in self.entries if message.NUMBER in e[1]]


def _fields(flat: list[Any]) -> dict[str, str]:
    return {str(flat[i]): str(flat[i + 1]) for i in range(0, len(flat), 2)}


class StreamReader:
    def __init__(self, redis: Redis) -> None:
        self._read = scripts.register(redis, "entries")

    async def run(
        self, room: str, after: StreamKey | None, *, newest_first: bool, entries: int, messages: int = 0
    ) -> Run:
        """Up to `entries` entries after `after` (exclusive; None: from the end), oldest first or
        `newest_first`, stopping early once `messages` messages are read (0: never)."""
        if after == (LAST if not newest_first else ZERO):
            return Run([], {}, True)  # nothing lies beyond the first or last possible id (Redis refuses "(" there)
        cursor = format_stream_id(after) if after is not None else ""
        reply = cast(
            list[Any],
            await self._read(
                keys=[keys.stream(room), keys.edits(room)],
                args=["rev" if newest_first else "fwd", cursor, entries, messages],
            ),
        )
        raw_entries, flat_states, done = reply
        read = [(str(e[0]), _fields(e[1])) for e in raw_entries or []]
        return Run(read, _fields(flat_states or []), bool(done))

    async def replay(self, room: str, after: StreamKey, page: int) -> AsyncIterator[Event]:
        """Every kept entry after `after` as clients see it, oldest first, in pages."""
        cursor = after
        while True:
            run = await self.run(room, cursor, newest_first=False, entries=page)
            for entry in run.entries:
                event = run.event(room, entry)
                if event is not None:
                    yield event
            if run.done or not run.entries:
                return
            cursor = parse_stream_id(run.entries[-1][0])


@dataclass(frozen=True)
class Page:
    messages: list[str]  # message JSON texts, oldest first (search: newest first)
    has_more: bool
    changes: list[str] = field(default_factory=list)  # after a cursor: the changes, WebSocket-typed JSON
    last_id: str | None = None  # after a cursor: the last entry it covers, to poll after next
    next_before: str | None = None  # going back: where the next page starts (before=)
