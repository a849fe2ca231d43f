"""HTTP: presence, typing and read receipts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import PresenceDep, RoomDep, RoomsDep, SignalsDep, UserDep, ViewerDep
from api.domain.messages import check_message_id

router = APIRouter()


class ReadPosition(BaseModel):
    id: str


@router.get("/api/rooms/{room}/presence")
async def who_is_here(room: RoomDep, rooms: RoomsDep, presence: PresenceDep, who: ViewerDep) -> dict[str, Any]:
    await rooms.check_read(room, who)
    return {"room": room, "online": await presence.online(room)}


@router.post("/api/rooms/{room}/typing", status_code=202)
async def typing(room: RoomDep, rooms: RoomsDep, signals: SignalsDep, who: UserDep) -> JSONResponse:
    await rooms.check_read(room, who)
    announced = await signals.typing(room, who)
    return JSONResponse({"room": room, "announced": announced}, status_code=202)


@router.post("/api/rooms/{room}/read")
async def mark_read(
    room: RoomDep, body: ReadPosition, rooms: RoomsDep, signals: SignalsDep, who: UserDep
) -> dict[str, Any]:
    check_message_id(body.id)
    await rooms.check_read(room, who)
    return await signals.read(room, who, body.id)


@router.get("/api/rooms/{room}/reads")
async def read_positions(room: RoomDep, rooms: RoomsDep, signals: SignalsDep, who: ViewerDep) -> dict[str, Any]:
    await rooms.check_read(room, who)
    return {"room": room, "reads": await signals.positions(room)}
