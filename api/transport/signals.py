"""HTTP: presence, typing and read receipts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.transport.deps import RoomDep, SignalingDep, UserDep, ViewerDep

router = APIRouter()


class ReadPosition(BaseModel):
    id: str


@router.get("/api/rooms/{room}/presence")
async def who_is_here(room: RoomDep, signaling: SignalingDep, who: ViewerDep) -> dict[str, Any]:
    return {"room": room, "online": await signaling.online(room, who)}


@router.post("/api/rooms/{room}/typing", status_code=202)
async def typing(room: RoomDep, signaling: SignalingDep, who: UserDep) -> JSONResponse:
    announced = await signaling.typing(room, who)
    return JSONResponse({"room": room, "announced": announced}, status_code=202)


@router.post("/api/rooms/{room}/read")
async def mark_read(room: RoomDep, body: ReadPosition, signaling: SignalingDep, who: UserDep) -> dict[str, Any]:
    return await signaling.read(room, who, body.id)


@router.get("/api/rooms/{room}/reads")
async def read_positions(room: RoomDep, signaling: SignalingDep, who: ViewerDep) -> dict[str, Any]:
    return {"room": room, "reads": await signaling.reads(room, who)}
