"""SSE: a room's live events, resumable by Last-Event-ID."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query

from api.broker.resume import resume
from api.broker.subscription import Subscription
from api.deps import HubDep, RoomDep, SettingsDep, StoreDep
from api.domain.messages import check_cursor
from api.transport.streaming import EventStream
from api.wire.events import Event

router = APIRouter()


@router.get("/api/rooms/{room}/events", response_class=EventStream)
async def room_events(
    room: RoomDep,
    hub: HubDep,
    store: StoreDep,
    settings: SettingsDep,
    last_event_id: Annotated[str | None, Header()] = None,
    last_event_id_query: Annotated[str | None, Query(alias="last_event_id")] = None,
) -> EventStream:
    raw = last_event_id or last_event_id_query
    after = check_cursor(raw, "Last-Event-ID") if raw else None

    def opener(sub: Subscription) -> AsyncIterator[Event]:
        return resume(store, sub, room, after)

    return EventStream(
        hub,
        (room,),
        opener,
        retry_ms=settings.sse_retry_ms,
        max_seconds=settings.sse_max_seconds,
    )
