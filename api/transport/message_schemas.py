"""What the OpenAPI document says of messages: the message JSON, deleted messages, changes,
history pages and the send body (see api/transport/schemas.py for the rest)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.transport.schemas import CLIENT_ID_PATTERN, MESSAGE_ID_PATTERN, ReadPosition, SharedFile, UserId, hint


class Quote(BaseModel):
    """The message a reply answers, as it was then (its text cut to 140 characters)."""

    id: str
    user_id: UserId | None = None
    user: str | None = None
    text: str | None = None
    deleted: bool | None = Field(None, description="The answered message was deleted since: no quote.")


class Message(BaseModel):
    id: str = Field(description="The stream id: resume and page by it.")
    ts: int = Field(description="Epoch milliseconds (the id's first part).")
    n: int = Field(description="The message's number in its room.")
    room: str
    user_id: UserId
    user: str = Field(description="The author's display name when it was sent.")
    text: str = Field(description="As it now is (edited or not).")
    client_id: str | None = None
    edited_ts: int | None = Field(None, description="When it was last edited (epoch ms).")
    reply_to: Quote | None = None
    reactions: dict[str, list[str]] | None = Field(None, description="Emoji -> the user ids of who reacted.")
    mentions: list[str] | None = Field(None, description="The user ids @named in the text.")
    files: list[SharedFile] | None = Field(None, description="Its files (a message of files alone has no text).")


class DeletedMessage(BaseModel):
    """All that is ever sent again of a deleted message."""

    id: str
    n: int
    room: str
    deleted: Literal[True]


class Change(BaseModel):
    """An edit, deletion or reaction, as a long-poll page gives it (typed as on a WebSocket)."""

    type: Literal["edit", "delete", "reaction"]
    id: str = Field(description="The change's own stream id.")
    message: str = Field(description="The id of the message changed.")
    room: str
    user_id: UserId = Field(description="Who changed it.")
    user: str
    text: str | None = Field(None, description="edit: the new text.")
    edited_ts: int | None = None
    mentions: list[str] | None = None
    emoji: str | None = Field(None, description="reaction: the emoji.")
    on: bool | None = Field(None, description="reaction: true added, false taken back.")


class TrimmedMessage(BaseModel):
    """A replayed send whose message the room no longer keeps: only its id is left."""

    id: str
    ts: int
    room: str


class NewMessage(BaseModel):
    text: str = Field(description="1 to MAX_MESSAGE_CHARS characters; newline and tab are the only control characters.")
    client_id: str | None = Field(None, **hint(CLIENT_ID_PATTERN, "Sending it again returns the first message."))
    reply_to: str | None = Field(None, **hint(MESSAGE_ID_PATTERN, "The id of the message this answers."))
    files: list[str] | None = Field(None, max_length=10, description="Ids of your uploads to this room to attach.")


class HistoryPage(BaseModel):
    room: str
    messages: list[Message | DeletedMessage] = Field(
        description="As they now are; oldest first, but newest first for a search (q)."
    )
    has_more: bool
    reads: list[ReadPosition] = Field(description="Everyone's read position (empty for a search).")
    reset: bool | None = Field(None, description="The cursor is older than what the room keeps, or from a wiped store.")
    changes: list[Change] | None = Field(None, description="With after: the edits, deletions and reactions after it.")
    last_id: str | None = Field(None, description="With after: the last entry this page covers; poll after it next.")
    next_before: str | None = Field(None, description="Going back: give it as before for the next page.")


SEND_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {"schema": NewMessage.model_json_schema()},
        "text/plain": {"schema": {"type": "string", "description": "The message text itself (curl -d)."}},
    },
}
