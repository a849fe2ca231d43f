"""What the OpenAPI document (/api/openapi.json) says the routes take and answer.

Documentation only: routes keep building their answers (often JSON text joined without decoding),
and the domain keeps validating input with its own error codes. The patterns here are the
domain's, so generated clients and fuzzers send what the server would take. The API fuzzing test
(tests/transport/test_openapi.py) checks every answer against these schemas.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from api.domain.errors import Code
from api.domain.identity import NAME
from api.domain.messages import CLIENT_ID, ROOM_NAME

# JSON Schema patterns are not anchored; `$` there does not match before a final newline.
ROOM_PATTERN = f"^{ROOM_NAME.pattern}$"
NAME_PATTERN = f"^{NAME.pattern}$"
CLIENT_ID_PATTERN = f"^{CLIENT_ID.pattern}$"
CURSOR_PATTERN = "^[0-9]{1,20}(-[0-9]{1,20})?$"
MESSAGE_ID_PATTERN = "^[0-9]{1,20}-[0-9]{1,20}$"
ROOMS_PATTERN = "^[a-z0-9_-]{1,64}(,[a-z0-9_-]{1,64})*$"
POSITIONS_PATTERN = "^[a-z0-9_-]{1,64}:[0-9]{1,20}(-[0-9]{1,20})?(,[a-z0-9_-]{1,64}:[0-9]{1,20}(-[0-9]{1,20})?)*$"


def hint(pattern: str, description: str) -> dict[str, Any]:
    """Keyword arguments for Field/Query/Header/Path: a documented pattern that is not enforced
    there (the domain checks it and answers with its own code)."""
    return {"description": description, "json_schema_extra": {"pattern": pattern}}


RoomName = Annotated[str, Field(**hint(ROOM_PATTERN, "1-64 of a-z 0-9 - _"))]
PersonName = Annotated[str, Field(**hint(NAME_PATTERN, "1-32 letters, digits, - _ . (not a reserved word)"))]


# Errors


class ErrorDetail(BaseModel):
    code: Code
    message: str = Field(description="What went wrong and what to do, for people.")


class Error(BaseModel):
    """Every error answer."""

    error: ErrorDetail


_ERRORS = {
    400: "Malformed JSON or text that is not valid UTF-8 / Unicode.",
    401: "Sign-in required, or a bad or expired token (also: a private room, not signed in).",
    403: "Not a member of this private room.",
    404: "No such room, message or file.",
    409: "The name or room is taken.",
    413: "The body, the message or the file is too large.",
    415: "Unsupported content type.",
    422: "An invalid field, name, room, cursor, text (empty, control characters) or image.",
    429: "Too many requests: wait Retry-After seconds.",
    503: "The message or file store is unreachable (retry after Retry-After seconds), or files are not set up.",
}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "required": True, "schema": {"type": "integer"}}
}

READ = (401, 403, 422, 503)  # a room's GET routes: the room name, the token, private rooms, Redis
WRITE = (400, 401, 403, 413, 415, 422, 503)  # a POST with a JSON body to a room


def answers(success: dict[int, Any], *errors: int) -> dict[int | str, dict[str, Any]]:
    """`responses` for a route: its successful answers ({status: model or OpenAPI response}) and
    the error statuses it can give, each with the error schema (and Retry-After on 429 and 503)."""
    result: dict[int | str, dict[str, Any]] = {}
    for status, what in success.items():
        result[status] = what if isinstance(what, dict) else {"model": what}
    for status in sorted(set(errors)):
        result[status] = {"model": Error, "description": _ERRORS[status]}
        if status in (429, 503):
            result[status]["headers"] = _RETRY_AFTER
    return result


# Sessions


UserId = Annotated[str, Field(description="The account's id: never changes, never reused.")]


class Session(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer TOKEN'. Also set as an HttpOnly cookie for reads.")
    user_id: UserId
    name: str
    kind: Literal["guest", "user"]
    expires: int = Field(description="Expiry, epoch seconds.")


class WhoAmI(BaseModel):
    user_id: UserId
    name: str
    kind: Literal["guest", "user"]


# Rooms


class RoomSummary(BaseModel):
    name: str
    topic: str
    private: bool
    last_activity: int = Field(description="Epoch milliseconds of the last message or creation.")
    message_count: int
    online: int
    unread: int | None = Field(None, description="Signed in only: messages after your read position.")
    mentions: int | None = Field(None, description="Signed in only: unread messages that mention you.")
    moderator: bool | None = Field(
        None,
        description="Signed in only: you may delete others' messages here (you created the room, or CHAT_ADMINS"
        " names you).",
    )


class RoomList(BaseModel):
    rooms: list[RoomSummary]


class Person(BaseModel):
    user_id: UserId
    name: str


class CreatedRoom(BaseModel):
    name: str
    topic: str
    private: bool
    created_by: str
    created: int = Field(description="Epoch milliseconds.")
    members: list[str] | None = Field(None, description="Private rooms: the members' names.")
    people: list[Person] | None = Field(None, description="Private rooms: the members.")


class Members(BaseModel):
    room: str
    members: list[str] = Field(description="Display names.")
    people: list[Person]


# Files


class SharedFile(BaseModel):
    """A file uploaded to a room: attach it with `"files": [id]` on a send."""

    id: str
    name: str = Field(description="As the uploader named it (path and control characters removed).")
    type: str = Field(description="The media type told from the bytes (never from the name).")
    size: int = Field(description="Bytes (of the re-encoded image, for images).")
    url: str = Field(description="Download it here (the room's access rule applies).")
    width: int | None = Field(None, description="Images: pixels, upright.")
    height: int | None = None
    thumbnail_url: str | None = Field(None, description="Images: at most 480 px, WebP.")


class FileLimitsInfo(BaseModel):
    max_bytes: int = Field(description="FILES_MAX_BYTES: the largest upload through the app.")
    direct_max_bytes: int | None = Field(description="With an S3 store: the largest direct upload.")
    max_files: int = Field(description="Files one message may attach.")


class DirectUploadForm(BaseModel):
    id: str
    url: str = Field(description="POST the fields, then the file as the last part `file`, here.")
    fields: dict[str, str]
    max_bytes: int


# Read positions (the message models: api/transport/message_schemas.py)


class ReadPosition(BaseModel):
    user_id: UserId
    user: str
    id: str
    n: int
    room: str


# Signals and streams


class Presence(BaseModel):
    room: str
    online: list[str]


class Typing(BaseModel):
    room: str
    announced: bool = Field(description="False when throttled (one typing event per person per TYPING_THROTTLE_MS).")


class Reads(BaseModel):
    room: str
    reads: list[ReadPosition]


class StreamEvent(BaseModel):
    """One Server-Sent Event. The stream starts with `retry` and `ready` (where the client stands);
    `message` frames carry the message's id (resume with Last-Event-ID), and so do `edit`, `delete` and
    `reaction` (changes to a message, each with an id of its own); `reset` means the id asked
    for is no longer kept (reload history); `access` that a room may no longer be read, `membership`
    that you were added to a private room. Comment lines (": ping") keep idle streams open."""

    event: Literal[
        "ready", "reset", "message", "edit", "delete", "reaction", "presence", "typing", "read", "access", "membership"
    ]
    data: str = Field(
        description="A JSON object: a Message for `message`; for `edit`, `delete`, `reaction` a Change (without "
        "its type).",
        json_schema_extra={"contentMediaType": "application/json"},
    )
    id: str | None = Field(None, description="A stream id; on /api/events every room's: room:id,room:id.")
    retry: int | None = Field(None, ge=0, description="Reconnect delay in ms.")


EVENT_STREAM: dict[str, Any] = {
    "description": "A stream of Server-Sent Events, until SSE_MAX_SECONDS or the client leaves.",
    "content": {"text/event-stream": {"itemSchema": StreamEvent.model_json_schema()}},
}


class Health(BaseModel):
    status: Literal["ok"]
    subscriber: bool
    clients: int
