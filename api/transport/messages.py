"""HTTP: send a message, read history pages, and long-poll for new messages."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Header, Query, Request, Response

from api.broker.store import Page
from api.broker.subscription import Closed, Subscription
from api.deps import HubDep, RoomDep, RoomsDep, SettingsDep, SignalsDep, StoreDep, UserDep, ViewerDep
from api.domain.messages import check_client_id, check_cursor, check_text
from api.errors import DomainError

router = APIRouter()

JSON_TYPES = ("application/json",)
TEXT_TYPES = ("text/plain", "application/x-www-form-urlencoded")


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise DomainError(413, "body_too_large", f"request body is over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise DomainError(413, "body_too_large", f"request body is over {limit} bytes")
    return bytes(body)


def _parse(content_type: str, body: bytes) -> dict[str, object]:
    media = content_type.split(";", 1)[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError(400, "invalid_encoding", "request body is not valid UTF-8") from None
    if media in JSON_TYPES or media.endswith("+json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DomainError(400, "invalid_json", f"request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise DomainError(422, "invalid_request", 'body must be a JSON object like {"text": "hi"}')
        return data
    if media == "application/x-www-form-urlencoded" and text.startswith("text="):
        form = parse_qs(text)
        return {key: values[0] for key, values in form.items()}
    if media in TEXT_TYPES or not media:
        # curl -d sends the raw text as a form body; take it as the message itself.
        return {"text": text}
    raise DomainError(415, "unsupported_media_type", f"send application/json or text/plain, not {media}")


@router.post("/api/rooms/{room}/messages", status_code=201)
async def send_message(
    request: Request,
    room: RoomDep,
    store: StoreDep,
    settings: SettingsDep,
    who: UserDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    body = await _read_body(request, settings.max_message_chars * 4 + 4096)
    data = _parse(request.headers.get("content-type", ""), body)
    text = check_text(data.get("text"), settings.max_message_chars)
    client_id = check_client_id(data.get("client_id") or idempotency_key)
    # The author is whoever the token names; a "user" field in the body is ignored.
    sent = await store.send(room, who, text, client_id)
    headers = {} if sent.created else {"Idempotent-Replayed": "true"}
    return Response(sent.message, 201 if sent.created else 200, headers, "application/json")


def _page_json(room: str, page: Page, reads: list[dict[str, Any]], reset: bool = False) -> str:
    # The messages are stored as JSON text already: join them rather than decode and encode again.
    tail = ',"reset":true' if reset else ""
    return (
        '{"room":' + json.dumps(room) + ',"messages":[' + ",".join(page.messages) + "]"
        ',"has_more":' + ("true" if page.has_more else "false") + ',"reads":' + json.dumps(reads) + tail + "}"
    )


@router.get("/api/rooms/{room}/messages")
async def history(
    room: RoomDep,
    store: StoreDep,
    hub: HubDep,
    settings: SettingsDep,
    rooms: RoomsDep,
    signals: SignalsDep,
    who: ViewerDep,
    before: str | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    wait: Annotated[float, Query(ge=0)] = 0,
) -> Response:
    if before is not None and after is not None:
        raise DomainError(422, "invalid_request", "give either 'before' or 'after', not both")
    limit = min(limit, settings.history_limit_max)
    before_key = check_cursor(before, "before") if before is not None else None
    await rooms.check_read(room, who)
    if after is None:
        page = await store.page(room, limit, before=before_key)
        reads = await signals.positions(room)
        return Response(_page_json(room, page, reads), media_type="application/json")
    after_key = check_cursor(after, "after")
    wait = min(wait, settings.longpoll_max_seconds)
    async with hub.subscribe((room,)) as sub:
        sub.anchor(room, after_key)
        bounds = await store.bounds(room)
        reset = not bounds.resumable(after_key)
        page = await store.page(room, limit, after=after_key)
        if not page.messages and not reset and wait > 0:
            try:
                await asyncio.wait_for(_next_message(sub), wait)
            except (TimeoutError, Closed):
                pass
            else:
                page = await store.page(room, limit, after=after_key)
    reads = await signals.positions(room)
    return Response(_page_json(room, page, reads, reset), media_type="application/json")


async def _next_message(sub: Subscription) -> None:
    while not any(event.key is not None for event in await sub.get()):
        pass
