"""Server-Sent Events framing, by sse-starlette's ServerSentEvent: pure functions to wire bytes.

Lines end in "\\n" (one byte less per line than the library's CRLF default; every client takes
both). An id that would break the framing is refused, never silently changed.
"""

from __future__ import annotations

from sse_starlette import ServerSentEvent

SEP = "\n"


def _check_id(id: str) -> str:
    if "\n" in id or "\r" in id or "\0" in id:
        raise ValueError("an SSE id cannot contain line breaks or NUL")
    return id


def frame(data: str, event: str | None = None, id: str | None = None) -> bytes:
    """One complete event, terminated by the blank line that dispatches it."""
    return ServerSentEvent(data, event=event, id=None if id is None else _check_id(id), sep=SEP).encode()


def with_id(id: str, frame_without_id: bytes) -> bytes:
    """A frame given its own id, the same bytes as `frame(..., id=id)`: the id comes first, so
    each client of a multi-room stream can have its own without encoding the event again."""
    return b"id: " + _check_id(id).encode() + SEP.encode() + frame_without_id


def retry(ms: int) -> bytes:
    return ServerSentEvent(retry=ms, sep=SEP).encode()


def comment(text: str = "") -> bytes:
    return ServerSentEvent(comment=text, sep=SEP).encode()
