"""Events as they travel between Redis, the hub and clients, each encoded at most once per
transport however many clients receive it."""

from __future__ import annotations

import json

from api.wire import sse
from api.wire.ids import StreamKey, format_stream_id, parse_stream_id


class Event:
    """One event for one room. Stored events (messages) have an `id` and the `key` it parses to,
    by which clients skip what they already have. A marker (ready, reset) carries an `id` that
    moves the client's position without being deduplicated."""

    __slots__ = ("_sse", "_sse_body", "_ws", "data", "id", "key", "kind", "room")

    def __init__(self, room: str, kind: str, data: str, id: str | None = None, marker: bool = False) -> None:
        self.room = room
        self.kind = kind
        self.id = id
        self.key: StreamKey | None = parse_stream_id(id) if id and not marker else None
        self.data = data
        self._sse: bytes | None = None
        self._sse_body: bytes | None = None
        self._ws: str | None = None

    def sse(self) -> bytes:
        """The SSE frame for a single-room stream, whose ids are the stream ids themselves."""
        if self._sse is None:
            self._sse = sse.frame(self.data, event=self.kind, id=self.id)
        return self._sse

    def sse_without_id(self) -> bytes:
        """The frame without its id, for streams whose ids are per client (sse.with_id)."""
        if self._sse_body is None:
            self._sse_body = sse.frame(self.data, event=self.kind)
        return self._sse_body

    def ws(self) -> str:
        """The WebSocket text frame: the event's JSON object with its type first."""
        if self._ws is None:
            self._ws = _typed(self.kind, self.data)
        return self._ws

    def __repr__(self) -> str:
        return f"Event({self.room!r}, {self.kind!r}, id={self.id!r})"


# The hub's keep-alive: a comment line on SSE streams, nothing on WebSockets.
HEARTBEAT = Event("", "heartbeat", "{}")
HEARTBEAT._sse = sse.comment("ping")


def _typed(kind: str, data: str) -> str:
    body = data[1:] if data != "{}" else "}"
    return '{"type":"' + kind + '"' + ("," if body != "}" else "") + body


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def marker(room: str, kind: str, key: StreamKey, **extra: object) -> Event:
    """A `ready` or `reset` event: where the client stands in `room`."""
    id = format_stream_id(key)
    return Event(room, kind, _json({"room": room, "id": id, **extra}), id=id, marker=True)


def signal(kind: str, **fields: object) -> Event:
    """A frame for one client only (WebSocket errors), never stored nor deduplicated."""
    data = _json(fields)
    try:
        data.encode()
    except UnicodeEncodeError:
        # It echoes what the client sent, such as half a surrogate pair: UTF-8 cannot carry that raw.
        data = json.dumps(fields, separators=(",", ":"))
    return Event("", kind, data)


def ack(client_id: str | None, id: str | None, message_json: str) -> Event:
    """The WebSocket answer to a sent message (the message itself, as stored, not decoded again),
    or to a change: the change's id (None when nothing changed) and the message as it now is."""
    data = '{"id":' + _json(id) + ',"client_id":' + _json(client_id) + ',"message":' + message_json + "}"
    return Event("", "ack", data)
