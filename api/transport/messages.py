"""HTTP: send a message, read history pages, and long-poll for new messages."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from api.domain.errors import Code, DomainError
from api.domain.messages import check_cursor
from api.domain.text import check_plain
from api.transport.body import parse_message, read_body
from api.transport.deps import MessagingDep, RoomDep, SenderDep, SettingsDep, ViewerDep
from api.transport.message_schemas import SEND_BODY, DeletedMessage, HistoryPage, Message, TrimmedMessage
from api.transport.schemas import (
    CLIENT_ID_PATTERN,
    CURSOR_PATTERN,
    READ,
    WRITE,
    answers,
    hint,
)
from api.usecases.messaging import History

router = APIRouter()


@router.post(
    "/api/rooms/{room}/messages",
    status_code=201,
    response_model=None,
    openapi_extra={"requestBody": SEND_BODY},
    responses=answers(
        {
            201: Message,
            200: {
                "model": Message | DeletedMessage | TrimmedMessage,
                "description": "A send repeated: the first message",
            },
        },
        *WRITE,
        404,
        415,
        429,
    ),
)
async def send_message(
    request: Request,
    room: RoomDep,
    messaging: MessagingDep,
    settings: SettingsDep,
    who: SenderDep,
    idempotency_key: Annotated[str | None, Header(**hint(CLIENT_ID_PATTERN, "Like client_id in the body."))] = None,
) -> Response:
    body = await read_body(request, settings.max_message_chars * 4 + 4096)
    data = parse_message(request.headers.get("content-type", ""), body)
    # The author is whoever the token names; a "user" field in the body is ignored.
    client_id = data.get("client_id") or idempotency_key
    sent = await messaging.send(room, who, data.get("text"), client_id, data.get("reply_to"), data.get("files"))
    headers = {"Idempotent-Replayed": "true"} if sent.replayed else {}
    return Response(sent.message_json, 200 if sent.replayed else 201, headers, "application/json")


def _history_json(room: str, history: History) -> str:
    # The messages are JSON text already: join them rather than decode and encode again.
    page = history.page
    tail = ',"reset":true' if history.reset else ""
    if history.after:
        # A long-poll's page also holds the changes after its cursor, and where it ends.
        tail += ',"changes":[' + ",".join(page.changes) + "]"
        tail += ',"last_id":' + json.dumps(page.last_id)
    if page.next_before is not None:
        tail += ',"next_before":' + json.dumps(page.next_before)
    return (
        '{"room":' + json.dumps(room) + ',"messages":[' + ",".join(page.messages) + "]"
        ',"has_more":' + ("true" if page.has_more else "false") + ',"reads":' + json.dumps(history.reads) + tail + "}"
    )


Cursor = Annotated[str | None, Query(**hint(CURSOR_PATTERN, "A message id."))]


@router.get("/api/rooms/{room}/messages", response_model=None, responses=answers({200: HistoryPage}, *READ))
async def history(
    room: RoomDep,
    messaging: MessagingDep,
    settings: SettingsDep,
    who: ViewerDep,
    before: Cursor = None,
    after: Cursor = None,
    limit: Annotated[int, Query(ge=1, description="At most HISTORY_LIMIT_MAX.")] = 50,
    wait: Annotated[float, Query(ge=0, description="With after: seconds to wait for a message.")] = 0,
    q: Annotated[str | None, Query(max_length=200, description="Search: messages holding this text.")] = None,
) -> Response:
    if before is not None and after is not None:
        raise DomainError(Code.INVALID_REQUEST, "give either 'before' or 'after', not both")
    limit = min(limit, settings.history_limit_max)
    if q is not None:
        if after is not None:
            raise DomainError(Code.INVALID_REQUEST, "a search goes back in time: give 'before', not 'after'")
        before_key = check_cursor(before, "before") if before is not None else None
        result = await messaging.search(room, who, check_plain(q, "q"), limit, before_key)
    elif after is None:
        before_key = check_cursor(before, "before") if before is not None else None
        result = await messaging.history(room, who, limit, before_key)
    else:
        wait = min(wait, settings.longpoll_max_seconds)
        result = await messaging.poll(room, who, check_cursor(after, "after"), limit, wait)
    return Response(_history_json(room, result), media_type="application/json")
