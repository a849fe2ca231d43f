"""HTTP: edit and delete a message, react to it and take a reaction back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from api.transport.deps import ConversationDep, FilesDep, RoomDep, SenderDep
from api.transport.message_schemas import Message
from api.transport.schemas import MESSAGE_ID_PATTERN, WRITE, answers, hint

router = APIRouter()

MessageId = Annotated[str, Path(**hint(MESSAGE_ID_PATTERN, "The message's id."))]
Emoji = Annotated[str, Path(description="One emoji (URL-encoded), like %F0%9F%91%8D for 👍.")]
CHANGE = (*WRITE, 404, 429)


class EditedMessage(BaseModel):
    text: str = Field(description="The new text: 1 to MAX_MESSAGE_CHARS characters.")


def _json(text: str) -> Response:
    return Response(text, media_type="application/json")


@router.patch("/api/rooms/{room}/messages/{id}", response_model=None, responses=answers({200: Message}, *CHANGE))
async def edit_message(
    room: RoomDep, id: MessageId, body: EditedMessage, conversation: ConversationDep, who: SenderDep
) -> Response:
    """Edit your own message: everyone gets an `edit` event; history shows the new text."""
    return _json((await conversation.edit(room, who, id, body.text)).message_json)


@router.delete("/api/rooms/{room}/messages/{id}", status_code=204, responses=answers({}, *CHANGE))
async def delete_message(
    room: RoomDep, id: MessageId, conversation: ConversationDep, files: FilesDep, who: SenderDep
) -> Response:
    """Delete a message (its author, the room's creator or an admin): everyone gets a `delete`
    event; its text is never sent again, and its files are deleted."""
    deleted = await conversation.delete(room, who, id)
    await files.message_deleted(room, deleted.stored_body)
    return Response(status_code=204)


@router.put(
    "/api/rooms/{room}/messages/{id}/reactions/{emoji}",
    response_model=None,
    responses=answers({200: Message}, *CHANGE),
)
async def react(room: RoomDep, id: MessageId, emoji: Emoji, conversation: ConversationDep, who: SenderDep) -> Response:
    """React with one emoji (once per person: again changes nothing); the message as it now is."""
    return _json((await conversation.react(room, who, id, emoji, on=True)).message_json)


@router.delete(
    "/api/rooms/{room}/messages/{id}/reactions/{emoji}",
    response_model=None,
    responses=answers({200: Message}, *CHANGE),
)
async def unreact(
    room: RoomDep, id: MessageId, emoji: Emoji, conversation: ConversationDep, who: SenderDep
) -> Response:
    """Take your reaction back (nothing to take back changes nothing); the message as it now is."""
    return _json((await conversation.react(room, who, id, emoji, on=False)).message_json)
