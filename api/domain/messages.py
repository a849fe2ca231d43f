"""What a valid room name, message and cursor are. Raises DomainError; the edges map it to HTTP."""

from __future__ import annotations

import re

from api.domain.errors import Code, DomainError
from api.domain.text import check_plain
from api.wire.ids import StreamKey, format_stream_id, parse_stream_id

# Matched in full (fullmatch): `$` would also match before a trailing newline.
ROOM_NAME = re.compile(r"[a-z0-9_-]{1,64}")
CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def check_room(name: str) -> str:
    if not ROOM_NAME.fullmatch(name):
        raise DomainError(
            Code.INVALID_ROOM,
            f"room name {name[:80]!r} is invalid: use 1-64 characters of a-z, 0-9, '-' and '_'",
        )
    return name


def check_text(text: object, max_chars: int) -> str:
    if not isinstance(text, str):
        raise DomainError(Code.INVALID_TEXT, "'text' must be a string")
    check_plain(text, "text")
    if not text.strip():
        raise DomainError(Code.EMPTY_MESSAGE, "message text is empty")
    if len(text) > max_chars:
        raise DomainError(
            Code.MESSAGE_TOO_LONG,
            f"message is {len(text)} characters; the limit is {max_chars}",
        )
    return text


def check_client_id(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not CLIENT_ID.fullmatch(value):
        raise DomainError(
            Code.INVALID_CLIENT_ID,
            "client_id must be 1-128 characters of letters, digits and . _ : -",
        )
    return value


def check_cursor(value: str, name: str) -> StreamKey:
    try:
        return parse_stream_id(value)
    except ValueError as exc:
        raise DomainError(Code.INVALID_CURSOR, f"{name}: {exc}") from None


def check_message_id(value: str, name: str = "id") -> str:
    """A message's full stream id ("1700000000000-0"), as read receipts need it."""
    if format_stream_id(check_cursor(value, name)) != value:
        raise DomainError(Code.INVALID_CURSOR, f"{name}: give the message's full id, like 1700000000000-0")
    return value
