"""SSE routes: one room's live events, or several rooms' in one stream, resumable by Last-Event-ID."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from api.domain.errors import Code, DomainError
from api.domain.messages import check_cursor, check_room
from api.transport.deps import MetricsDep, QuotaDep, ReaderDep, RoomDep, SettingsDep, StreamsDep, client_address
from api.transport.schemas import CURSOR_PATTERN, EVENT_STREAM, POSITIONS_PATTERN, READ, ROOMS_PATTERN, answers, hint
from api.transport.sse import EventStream, multi_room, single_room
from api.wire.ids import StreamKey, parse_positions

router = APIRouter()
_RESUME = "Resume after this id (EventSource sends the header itself)."
LastEventIdHeader = Annotated[str | None, Header(alias="last-event-id", **hint(CURSOR_PATTERN, _RESUME))]
LastEventIdQuery = Annotated[str | None, Query(alias="last_event_id", **hint(CURSOR_PATTERN, _RESUME))]
PositionsHeader = Annotated[str | None, Header(alias="last-event-id", **hint(POSITIONS_PATTERN, _RESUME))]
PositionsQuery = Annotated[str | None, Query(alias="last_event_id", **hint(POSITIONS_PATTERN, _RESUME))]


@router.get(
    "/api/rooms/{room}/events",
    response_class=EventStream,
    status_code=200,
    responses=answers({200: EVENT_STREAM}, *READ, 429),
)
async def room_events(
    request: Request,
    room: RoomDep,
    quota: QuotaDep,
    metrics: MetricsDep,
    streams: StreamsDep,
    settings: SettingsDep,
    who: ReaderDep,
    header_id: LastEventIdHeader = None,
    query_id: LastEventIdQuery = None,
) -> EventStream:
    return EventStream(
        streams.open((room,), who, room_start(room, header_id or query_id)),
        encode=single_room,
        retry_ms=settings.sse_retry_ms,
        max_seconds=settings.sse_max_seconds,
        metrics=metrics,
        quota=quota.hold(client_address(request)),
    )


@router.get(
    "/api/events", response_class=EventStream, status_code=200, responses=answers({200: EVENT_STREAM}, *READ, 429)
)
async def many_rooms_events(
    request: Request,
    quota: QuotaDep,
    metrics: MetricsDep,
    streams: StreamsDep,
    settings: SettingsDep,
    who: ReaderDep,
    rooms_param: Annotated[str, Query(alias="rooms", **hint(ROOMS_PATTERN, "Room names, comma-separated."))],
    header_id: PositionsHeader = None,
    query_id: PositionsQuery = None,
) -> EventStream:
    names, starts = rooms_starts(rooms_param, header_id or query_id, settings.stream_rooms_max)
    return EventStream(
        streams.open(names, who, starts),
        encode=multi_room,
        retry_ms=settings.sse_retry_ms,
        max_seconds=settings.sse_max_seconds,
        metrics=metrics,
        quota=quota.hold(client_address(request)),
    )


def room_start(room: str, raw: str | None) -> dict[str, StreamKey | None]:
    """Where a one-room stream starts: after `raw` (Last-Event-ID, else ?last_event_id=)."""
    return {room: check_cursor(raw, "Last-Event-ID") if raw else None}


def rooms_starts(rooms_param: str, raw: str | None, most: int) -> tuple[tuple[str, ...], dict[str, StreamKey | None]]:
    """The rooms of a multi-room stream (?rooms=a,b) and where each starts, from its positions id."""
    names = tuple(dict.fromkeys(check_room(r.strip()) for r in rooms_param.split(",") if r.strip()))
    if not names:
        raise DomainError(Code.INVALID_REQUEST, "name at least one room: ?rooms=a,b")
    if len(names) > most:
        raise DomainError(Code.TOO_MANY_ROOMS, f"one stream follows at most {most} rooms")
    try:
        positions = parse_positions(raw) if raw else {}
    except ValueError as exc:
        raise DomainError(Code.INVALID_CURSOR, f"Last-Event-ID: {exc}") from None
    return names, {room: positions.get(room) for room in names}
