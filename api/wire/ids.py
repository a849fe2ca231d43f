"""Stream ids ("1700000000000-0") and the positions of a stream of several rooms."""

from __future__ import annotations

import re

StreamKey = tuple[int, int]
ZERO: StreamKey = (0, 0)

_STREAM_ID = re.compile(r"([0-9]{1,20})(?:-([0-9]{1,20}))?")  # ASCII digits: \d matches any script's
_PART_MAX = 2**64 - 1  # each part of a Redis stream id is an unsigned 64-bit number


def parse_stream_id(value: str) -> StreamKey:
    """Parses a Redis stream id ("1700000000000-0", or just the milliseconds)."""
    m = _STREAM_ID.fullmatch(value)
    ms, seq = (int(m.group(1)), int(m.group(2) or 0)) if m is not None else (-1, 0)
    if not 0 <= ms <= _PART_MAX or seq > _PART_MAX:
        raise ValueError(f"{value[:60]!r} is not a stream id (expected digits, or digits-digits, each below 2**64)")
    return ms, seq


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
