"""The JSON of the changes made to messages after they were sent: edits, deletions, reactions.

Each change is an entry of the room's stream of its own (fields `k` kind, `t` the message it
changes, `d` its JSON after the opening brace), so that it has an id, travels live like a message
and is replayed in order. Its full JSON is put together when it is read or published:
{"id": the change's own id, "message": the changed message's id, "room", "user_id", "user", ...}.

The current state of a changed message is kept apart (a hash per room, field = message id): its
`state` (the text as edited, or deleted) and, under "ID:r", its reactions; api.wire.message
builds the message as it now is from them.
"""

from __future__ import annotations

import json

KIND = "k"
TARGET = "t"
DATA = "d"
EDIT = "edit"
DELETE = "delete"
REACTION = "reaction"
KINDS = frozenset({EDIT, DELETE, REACTION})
REACTIONS_FIELD = ":r"  # edits hash: "MESSAGE_ID:r" holds the message's reactions
DELETED_STATE = '{"deleted":true}'


def _tail(fields: dict[str, object]) -> str:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))[1:]


def edit(message_id: str, room: str, user_id: str, user: str, text: str, edited_ts: int, mentions: list[str]) -> str:
    return _tail(
        {
            "message": message_id,
            "room": room,
            "user_id": user_id,
            "user": user,
            "text": text,
            "edited_ts": edited_ts,
            "mentions": mentions,
        }
    )


def delete(message_id: str, room: str, user_id: str, user: str) -> str:
    """`user_id` and `user` are who deleted it (its author, the room's creator or an admin)."""
    return _tail({"message": message_id, "room": room, "user_id": user_id, "user": user})


def reaction(message_id: str, room: str, emoji: str, user_id: str, user: str, on: bool) -> str:
    return _tail({"message": message_id, "room": room, "emoji": emoji, "user_id": user_id, "user": user, "on": on})


def change_json(entry_id: str, tail: str) -> str:
    return '{"id":"' + entry_id + '",' + tail


def edited_state(text: str, edited_ts: int, mentions: list[str]) -> str:
    """What an edit leaves of a message's text: replaces its "text" and "mentions"."""
    return json.dumps({"text": text, "edited_ts": edited_ts, "mentions": mentions}, ensure_ascii=False)


def is_deleted(state: str | None) -> bool:
    return state is not None and json.loads(state).get("deleted") is True
