"""Server-Sent Events framing: pure functions from values to wire bytes."""

from __future__ import annotations


def _field_lines(name: bytes, value: str) -> bytes:
    # A value with line breaks becomes one field per line; the client rejoins them with "\n".
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return b"".join(name + b": " + line.encode() + b"\n" for line in lines)


def frame(data: str, event: str | None = None, id: str | None = None) -> bytes:
    """One complete event, terminated by the blank line that dispatches it."""
    out = b""
    if event is not None:
        out += _field_lines(b"event", event)
    if id is not None:
        if "\n" in id or "\r" in id or "\0" in id:
            raise ValueError("an SSE id cannot contain line breaks or NUL")
        out += b"id: " + id.encode() + b"\n"
    return out + _field_lines(b"data", data) + b"\n"


def split_frame(data: str, event: str) -> tuple[bytes, bytes]:
    """The parts of a frame before and after its id line, so that each client can put its own id
    between them without encoding the event again."""
    return _field_lines(b"event", event), _field_lines(b"data", data) + b"\n"


def id_line(id: str) -> bytes:
    return b"id: " + id.encode() + b"\n"


def retry(ms: int) -> bytes:
    return b"retry: %d\n\n" % ms


def comment(text: str = "") -> bytes:
    return b"".join(b":" + (b" " + line.encode() if line else b"") + b"\n" for line in text.split("\n")) + b"\n"
