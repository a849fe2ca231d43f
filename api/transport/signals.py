"""HTTP: presence, typing and read receipts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.transport.deps import RoomDep, SignalingDep, UserDep, ViewerDep
from api.transport.schemas import MESSAGE_ID_PATTERN, READ, WRITE, Presence, ReadPosition, Reads, Typing, answers, hint

router = APIRouter()


class MarkRead(BaseModel):
    id: Annotated[str, Field(**hint(MESSAGE_ID_PATTERN, "A message's full id: reads only move forward."))]


@router.get("/api/rooms/{room}/presence", response_model=None, responses=answers({200: Presence}, *READ))
async def who_is_here(room: RoomDep, signaling: SignalingDep, who: ViewerDep) -> dict[str, Any]:
    return {"room": room, "online": await signaling.online(room, who)}


@router.post("/api/rooms/{room}/typing", status_code=202, response_model=None, responses=answers({202: Typing}, *READ))
async def typing(room: RoomDep, signaling: SignalingDep, who: UserDep) -> JSONResponse:
    announced = await signaling.typing(room, who)
    return JSONResponse({"room": room, "announced": announced}, status_code=202)


@router.post("/api/rooms/{room}/read", response_model=None, responses=answers({200: ReadPosition}, *WRITE, 404))
async def mark_read(room: RoomDep, body: MarkRead, signaling: SignalingDep, who: UserDep) -> dict[str, Any]:
    return await signaling.read(room, who, body.id)


@router.get("/api/rooms/{room}/reads", response_model=None, responses=answers({200: Reads}, *READ))
async def read_positions(room: RoomDep, signaling: SignalingDep, who: ViewerDep) -> dict[str, Any]:
    return {"room": room, "reads": await signaling.reads(room, who)}
