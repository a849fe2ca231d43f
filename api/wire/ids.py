"""Stream ids ("1700000000000-0") and the positions of a stream of several rooms."""

from __future__ import annotations

import re

StreamKey = tuple[int, int]
ZERO: StreamKey = (0, 0)

_STREAM_ID = re.compile(r"(\d{1,20})(?:-(\d{1,20}))?")


def parse_stream_id(value: str) -> StreamKey:
    """Parses a Redis stream id ("1700000000000-0", or just the milliseconds)."""
    m = _STREAM_ID.fullmatch(value)
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
