"""Events as they travel between Redis, the hub and clients, and their encodings.

Each event is encoded at most once per transport however many clients receive it.
"""

from __future__ import annotations

import re

from api.wire import sse

StreamKey = tuple[int, int]

_STREAM_ID = re.compile(r"^(\d{1,20})(?:-(\d{1,20}))?$")

# The published envelope is "kind\nid\njson": JSON text never holds a raw newline.
_SEP = "\n"


def parse_stream_id(value: str) -> StreamKey:
    """Parses a Redis stream id ("1700000000000-0", or just the milliseconds)."""
    m = _STREAM_ID.match(value)
    if m is None:
        raise ValueError(f"{value!r} is not a stream id (expected digits, or digits-digits)")
    return int(m.group(1)), int(m.group(2) or 0)


def format_stream_id(key: StreamKey) -> str:
    return f"{key[0]}-{key[1]}"


def format_positions(positions: dict[str, StreamKey]) -> str:
    """One id for a stream of several rooms: every room's position, as "room:ms-seq,room:ms-seq"."""
    return ",".join(f"{room}:{key[0]}-{key[1]}" for room, key in positions.items())


def parse_positions(value: str) -> dict[str, StreamKey]:
    positions: dict[str, StreamKey] = {}
    for part in value.split(","):
        room, sep, id = part.strip().rpartition(":")
        if not sep or not room:
            raise ValueError(f"{part!r} is not a room position (expected room:id)")
        positions[room] = parse_stream_id(id)
    return positions


class Event:
    """One event for one room. Stored events (messages) have an `id` and the `key` it parses to,
    by which clients skip what they already have. A marker (ready, reset) carries an `id` that
    moves the client's position without being deduplicated."""

    __slots__ = ("_sse", "_sse_parts", "_ws", "data", "id", "key", "kind", "room")

    def __init__(self, room: str, kind: str, data: str, id: str | None = None, marker: bool = False) -> None:
        self.room = room
        self.kind = kind
        self.id = id
        self.key: StreamKey | None = parse_stream_id(id) if id and not marker else None
        self.data = data
        self._sse: bytes | None = None
        self._sse_parts: tuple[bytes, bytes] | None = None
        self._ws: str | None = None

    def sse(self) -> bytes:
        """The SSE frame for a single-room stream, whose ids are the stream ids themselves."""
        if self._sse is None:
            self._sse = sse.frame(self.data, event=self.kind, id=self.id)
        return self._sse

    def sse_parts(self) -> tuple[bytes, bytes]:
        """The SSE frame around its id line, for streams whose ids are per client."""
        if self._sse_parts is None:
            self._sse_parts = sse.split_frame(self.data, self.kind)
        return self._sse_parts

    def ws(self) -> str:
        """The WebSocket text frame: the event's JSON object with its type first."""
        if self._ws is None:
            body = self.data[1:] if self.data != "{}" else "}"
            sep = "," if body != "}" else ""
            self._ws = '{"type":"' + self.kind + '"' + sep + body
        return self._ws

    def __repr__(self) -> str:
        return f"Event({self.room!r}, {self.kind!r}, id={self.id!r})"


def encode_envelope(kind: str, id: str, data: str) -> str:
    return kind + _SEP + id + _SEP + data


def decode_envelope(room: str, payload: str) -> Event:
    kind, id, data = payload.split(_SEP, 2)
    return Event(room, kind, data, id or None)
