"""The message JSON clients see, built here and nowhere else.

A stream entry holds the message's number in its room (`n`), its author's display name when it
was sent (`u`) and the rest of its JSON (`m`: the fields after the opening brace, closing brace
included), and for a reply the id of the message it answers (`r`). Its id and time come from the
entry id, so the full JSON is put together when it is read or published, never stored twice.

A message changed since (api.wire.changes) is shown as it now is: its edited text, its reactions,
or, deleted, only {"id", "n", "room", "deleted": true}.
"""

from __future__ import annotations

import json

import orjson

# Stream entry field names (short: every entry carries them).
NUMBER = "n"
AUTHOR = "u"
BODY = "m"
REPLY = "r"
# The quote of the answered message in a reply: at most this many characters of its text.
QUOTE_CHARS = 140


def body(**fields: object) -> str:
    """The stored part of a message: its JSON after the opening brace."""
    return orjson.dumps(fields).decode()[1:]


def message_json(entry_id: str, number: str, author: str, stored_body: str) -> str:
    """{"id", "ts", "n", "user", ...the stored fields}: joined as text, nothing decoded again.
    Entries written before names were kept apart hold "user" in their body (`author` is "")."""
    ms = entry_id.split("-", 1)[0]
    head = '{"id":"' + entry_id + '","ts":' + ms + ',"n":' + number + ","
    if author:
        head += '"user":' + orjson.dumps(author).decode() + ","
    return head + stored_body


def from_entry(entry_id: str, fields: dict[str, str]) -> str:
    return message_json(entry_id, fields[NUMBER], fields.get(AUTHOR, ""), fields[BODY])


def trimmed_json(entry_id: str, room: str) -> str:
    """What is left to tell of a message the room no longer keeps."""
    ms = entry_id.split("-", 1)[0]
    return '{"id":"' + entry_id + '","ts":' + ms + ',"room":' + json.dumps(room) + "}"


def deleted_json(entry_id: str, number: str, room: str) -> str:
    """All that is ever sent again of a deleted message."""
    return '{"id":"' + entry_id + '","n":' + number + ',"room":' + json.dumps(room) + ',"deleted":true}'


def _lua_string(value: str) -> str:
    # Redis's cjson escapes "/" as well: the same bytes as the Lua twin.
    return json.dumps(value, ensure_ascii=False).replace("/", "\\/")


def reply_quote(id: str, user_id: str, user: str, text: str) -> str:
    """The "reply_to" object of a reply: twin of reply_quote in wire.lua, which builds it in the
    send script (one round trip) from the answered message as it is then."""
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS] + "…"
    return (
        '{"id":"'
        + id
        + '","user_id":'
        + _lua_string(user_id)
        + ',"user":'
        + _lua_string(user)
        + ',"text":'
        + _lua_string(text)
        + "}"
    )


def with_reply(stored_body: str, quote: str) -> str:
    """A body with its "reply_to" (twin of with_reply in wire.lua)."""
    return stored_body[:-1] + ',"reply_to":' + quote + "}"


def reactions_map(stored: str | None) -> dict[str, list[str]]:
    """Reactions as kept (a JSON list of [emoji, [user_id, ...]], in order of first use)."""
    if not stored:
        return {}
    pairs = json.loads(stored)
    return {emoji: users for emoji, users in pairs if users} if isinstance(pairs, list) else {}


def current_json(
    entry_id: str,
    fields: dict[str, str],
    room: str,
    state: str | None = None,
    reactions: str | None = None,
    reply_gone: bool = False,
) -> str:
    """The message of a stream entry as it now is: `state` (its edit, or deletion), `reactions`
    (api.wire.changes) and whether the message it answers was deleted since (its quote goes)."""
    number = fields[NUMBER]
    if state is not None and json.loads(state).get("deleted") is True:
        return deleted_json(entry_id, number, room)
    if state is None and not reactions and not reply_gone:
        return from_entry(entry_id, fields)
    data = json.loads("{" + fields[BODY])
    author = fields.get(AUTHOR, "")
    if state is not None:
        edit = json.loads(state)
        data["text"] = edit["text"]
        data["edited_ts"] = edit["edited_ts"]
        if edit.get("mentions"):
            data["mentions"] = edit["mentions"]
        else:
            data.pop("mentions", None)
    shown = reactions_map(reactions)
    if shown:
        data["reactions"] = shown
    if reply_gone and isinstance(data.get("reply_to"), dict):
        data["reply_to"] = {"id": data["reply_to"].get("id"), "deleted": True}
    return message_json(entry_id, number, author, body(**data))
