"""What a file is: its id, its shown name, its type told from its bytes, and how it may be served."""

from __future__ import annotations

import re
import secrets
import unicodedata
from urllib.parse import quote

from api.domain.errors import Code, DomainError
from api.domain.messages import ROOM_NAME

MAX_FILES_PER_MESSAGE = 10
MAX_NAME_CHARS = 200
# The room is part of the id: a file's metadata sits under its room's key (one cluster slot) and
# every download checks that room's access rule.
FILE_ID = re.compile(rf"({ROOM_NAME.pattern})\.([A-Za-z0-9_-]{{22}})")
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# Answers the browser never renders as a page, whatever it sniffs (with nosniff, and a sandbox).
DOWNLOAD_TYPE = "application/octet-stream"
SNIFF_BYTES = 512

# Control characters, path separators, and the bidirectional overrides that make "cod.exe"
# show as "exe.doc".
_CONTROL_OR_SEPARATOR = re.compile(r"[\x00-\x1f\x7f-\x9f/\\\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# Leading bytes of common formats: enough to tell people what a file is. Only the four image
# types are ever treated as images, and only after Pillow decodes them.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
    (b"\x1a\x45\xdf\xa3", "video/webm"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_MARKUP = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(!doctype\s+html|html|svg|head|body|script)\b", re.I | re.S
)


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KiB"
    return f"{size / 1048576:.1f} MiB"


def new_file_id(room: str) -> str:
    return f"{room}.{secrets.token_urlsafe(16)}"


def file_room(file_id: str) -> str:
    """The room a file id belongs to; 404 for anything that is not a file id."""
    match = FILE_ID.fullmatch(file_id)
    if match is None:
        raise DomainError(Code.NO_SUCH_FILE, "no such file")
    return match.group(1)


def sniff_type(head: bytes) -> str:
    """The media type of a file from its first bytes (SNIFF_BYTES of them), never from its name."""
    for magic, media in _MAGIC:
        if head.startswith(magic):
            return media
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    match = _MARKUP.match(head)
    if match is not None:
        return "image/svg+xml" if match.group(1).lower() == b"svg" else "text/html"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 3:  # not merely a character cut at the end of the sample
                return DOWNLOAD_TYPE
        return "text/plain"
    return DOWNLOAD_TYPE


def clean_name(name: object) -> str:
    """The name shown for a file: its last path part, without control characters, at most
    MAX_NAME_CHARS; "file" when nothing is left."""
    text = name if isinstance(name, str) else ""
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = unicodedata.normalize("NFC", "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF))
    text = _CONTROL_OR_SEPARATOR.sub("", text).strip().lstrip(".")
    return text[:MAX_NAME_CHARS] or "file"


def content_disposition(kind: str, name: str) -> str:
    """`inline` only for images the server re-encoded itself; everything else is a download."""
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def check_file_ids(value: object, room: str) -> list[str]:
    """The ids of the files a send attaches: a list of at most MAX_FILES_PER_MESSAGE ids of
    this room's files, each once."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DomainError(Code.INVALID_REQUEST, "'files' must be a list of file ids from POST .../files")
    if len(value) > MAX_FILES_PER_MESSAGE:
        raise DomainError(Code.TOO_MANY_FILES, f"a message holds at most {MAX_FILES_PER_MESSAGE} files")
    ids = list(dict.fromkeys(value))
    for file_id in ids:
        match = FILE_ID.fullmatch(file_id)
        if match is None or match.group(1) != room:
            raise DomainError(Code.FILE_NOT_ATTACHABLE, f"{file_id[:80]!r} is not a file uploaded to {room!r}")
    return ids
