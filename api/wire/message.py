"""The message JSON clients see, built here and nowhere else.

A stream entry holds the message's number in its room (`n`), its author's display name when it
was sent (`u`) and the rest of its JSON (`m`: the fields after the opening brace, closing brace
included). Its id and time come from the entry id, so the full JSON is put together when it is
read or published, never stored twice.
"""

from __future__ import annotations

import json

# Stream entry field names (short: every entry carries them).
NUMBER = "n"
AUTHOR = "u"
BODY = "m"


def body(**fields: object) -> str:
    """The stored part of a message: its JSON after the opening brace."""
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))[1:]


def message_json(entry_id: str, number: str, author: str, stored_body: str) -> str:
    """{"id", "ts", "n", "user", ...the stored fields}: joined as text, nothing decoded again.
    Entries written before names were kept apart hold "user" in their body (`author` is "")."""
    ms = entry_id.split("-", 1)[0]
    head = '{"id":"' + entry_id + '","ts":' + ms + ',"n":' + number + ","
    if author:
        head += '"user":' + json.dumps(author, ensure_ascii=False) + ","
    return head + stored_body


def from_entry(entry_id: str, fields: dict[str, str]) -> str:
    return message_json(entry_id, fields[NUMBER], fields.get(AUTHOR, ""), fields[BODY])


def trimmed_json(entry_id: str, room: str) -> str:
    """What is left to tell of a message the room no longer keeps."""
    ms = entry_id.split("-", 1)[0]
    return '{"id":"' + entry_id + '","ts":' + ms + ',"room":' + json.dumps(room) + "}"
