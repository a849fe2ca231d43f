"""What the Redis scripts publish on a room's live channel, and how the hub reads it back.

An envelope is "kind\\nid\\ndata" (JSON never holds a raw newline); scripts build it with the
Lua twin of `encode` in wire.lua. A stored message travels as its entry: data is
"number\\nbody", made into the message JSON by api.wire.message on arrival; a change to a
message (edit, delete, reaction) travels as its entry's data, given its id on arrival.
"""

from __future__ import annotations

from pathlib import Path

from api.wire import changes, message
from api.wire.events import Event
from api.wire.ids import parse_stream_id

SEP = "\n"
LUA = (Path(__file__).parent / "wire.lua").read_text()


def encode(kind: str, id: str, data: str) -> str:
    return kind + SEP + id + SEP + data


def encode_message(id: str, number: str, author: str, stored_body: str) -> str:
    return encode("message", id, number + SEP + author + SEP + stored_body)


def decode(room: str, payload: str) -> Event:
    """Raises ValueError on anything that is not an envelope."""
    kind, id, data = payload.split(SEP, 2)
    if kind == "message":
        number, author, stored_body = data.split(SEP, 2)
        return Event(room, kind, message.message_json(id, number, author, stored_body), id)
    if kind in changes.KINDS:
        parse_stream_id(id)  # a change is stored: it has an id
        return Event(room, kind, changes.change_json(id, data), id)
    return Event(room, kind, data, id or None)
