"""Errors as values: a code from a closed list and a message for people. Nothing here knows HTTP;
the transports turn codes into status and close codes (api/transport/errors.py)."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    BAD_REQUEST = "bad_request"
    INVALID_JSON = "invalid_json"
    INVALID_ENCODING = "invalid_encoding"
    INVALID_REQUEST = "invalid_request"
    INVALID_FRAME = "invalid_frame"
    INVALID_NAME = "invalid_name"
    RESERVED_NAME = "reserved_name"
    WEAK_PASSWORD = "weak_password"
    INVALID_ROOM = "invalid_room"
    INVALID_TEXT = "invalid_text"
    CONTROL_CHARACTER = "control_character"
    EMPTY_MESSAGE = "empty_message"
    INVALID_CLIENT_ID = "invalid_client_id"
    INVALID_CURSOR = "invalid_cursor"
    TOO_MANY_ROOMS = "too_many_rooms"
    PUBLIC_ROOM = "public_room"
    SIGN_IN_REQUIRED = "sign_in_required"
    INVALID_TOKEN = "invalid_token"
    TOKEN_EXPIRED = "token_expired"
    SESSION_ENDED = "session_ended"
    NOT_ALLOWED = "not_allowed"
    NO_SUCH_MEMBER = "no_such_member"
    NO_SUCH_USER = "no_such_user"
    WRONG_PASSWORD = "wrong_password"
    NOT_A_MEMBER = "not_a_member"
    CROSS_ORIGIN = "cross_origin"
    NOT_FOUND = "not_found"
    NO_SUCH_ROOM = "no_such_room"
    NO_SUCH_MESSAGE = "no_such_message"
    MESSAGE_DELETED = "message_deleted"
    INVALID_EMOJI = "invalid_emoji"
    TOO_MANY_REACTIONS = "too_many_reactions"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NAME_TAKEN = "name_taken"
    NAME_REGISTERED = "name_registered"
    ROOM_EXISTS = "room_exists"
    MESSAGE_TOO_LONG = "message_too_long"
    BODY_TOO_LARGE = "body_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    UNAVAILABLE = "redis_unavailable"
    STORE_FULL = "store_full"
    NO_SUCH_FILE = "no_such_file"
    FILE_TOO_LARGE = "file_too_large"
    INVALID_IMAGE = "invalid_image"
    IMAGE_TOO_LARGE = "image_too_large"
    TOO_MANY_FILES = "too_many_files"
    FILE_NOT_ATTACHABLE = "file_not_attachable"
    UPLOAD_INCOMPLETE = "upload_incomplete"
    FILES_NOT_CONFIGURED = "files_not_configured"
    FILES_UNAVAILABLE = "files_unavailable"


class DomainError(Exception):
    """A refusal the caller can act on: `code` says which, `message` says what to do."""

    def __init__(self, code: Code, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


class Unavailable(DomainError):
    def __init__(self, message: str = "the message store is unreachable; try again shortly") -> None:
        super().__init__(Code.UNAVAILABLE, message, retry_after=2)


class StoreFull(DomainError):
    def __init__(self) -> None:
        super().__init__(Code.STORE_FULL, "the message store is full, nothing was stored; try again later", 10)
