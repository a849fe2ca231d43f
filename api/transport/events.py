"""SSE: one room's live events, or several rooms' in one stream, resumable by Last-Event-ID."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query

from api.broker.resume import resume
from api.broker.subscription import Subscription
from api.deps import HubDep, PresenceDep, RoomDep, RoomsDep, SettingsDep, StoreDep, ViewerDep
from api.domain.messages import check_cursor, check_room
from api.errors import DomainError
from api.transport.streaming import EventStream
from api.wire import sse
from api.wire.events import Event, format_positions, parse_positions

router = APIRouter()
LastEventIdHeader = Annotated[str | None, Header(alias="last-event-id")]
LastEventIdQuery = Annotated[str | None, Query(alias="last_event_id")]


@router.get("/api/rooms/{room}/events", response_class=EventStream, status_code=200)
async def room_events(
    room: RoomDep,
    hub: HubDep,
    store: StoreDep,
    rooms: RoomsDep,
    presence: PresenceDep,
    settings: SettingsDep,
    who: ViewerDep,
    header_id: LastEventIdHeader = None,
    query_id: LastEventIdQuery = None,
) -> EventStream:
    raw = header_id or query_id
    after = check_cursor(raw, "Last-Event-ID") if raw else None
    await rooms.check_read(room, who)

    def opener(sub: Subscription) -> AsyncIterator[Event]:
        return resume(store, sub, {room: after})

    return EventStream(
        hub,
        (room,),
        opener,
        presence=presence.present((room,), who),
        retry_ms=settings.sse_retry_ms,
        max_seconds=settings.sse_max_seconds,
    )


def multi_room(sub: Subscription, event: Event) -> bytes:
    """Frames whose id carries every room's position, so one id resumes them all."""
    if event.id is None:
        return event.sse()
    head, tail = event.sse_parts()
    return head + sse.id_line(format_positions(sub.sent)) + tail


@router.get("/api/events", response_class=EventStream, status_code=200)
async def many_rooms_events(
    hub: HubDep,
    store: StoreDep,
    rooms: RoomsDep,
    presence: PresenceDep,
    settings: SettingsDep,
    who: ViewerDep,
    rooms_param: Annotated[str, Query(alias="rooms")],
    header_id: LastEventIdHeader = None,
    query_id: LastEventIdQuery = None,
) -> EventStream:
    names = tuple(dict.fromkeys(check_room(r.strip()) for r in rooms_param.split(",") if r.strip()))
    if not names:
        raise DomainError(422, "invalid_request", "name at least one room: ?rooms=a,b")
    if len(names) > settings.stream_rooms_max:
        raise DomainError(422, "too_many_rooms", f"one stream follows at most {settings.stream_rooms_max} rooms")
    raw = header_id or query_id
    try:
        positions = parse_positions(raw) if raw else {}
    except ValueError as exc:
        raise DomainError(422, "invalid_cursor", f"Last-Event-ID: {exc}") from None
    for room in names:
        await rooms.check_read(room, who)

    def opener(sub: Subscription) -> AsyncIterator[Event]:
        return resume(store, sub, {room: positions.get(room) for room in names})

    return EventStream(
        hub,
        names,
        opener,
        encode=multi_room,
        presence=presence.present(names, who),
        retry_ms=settings.sse_retry_ms,
        max_seconds=settings.sse_max_seconds,
    )
