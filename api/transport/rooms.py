"""HTTP: the room list, creating rooms, and private-room membership."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from api.transport.deps import RoomDep, RoomsDep, UserDep, ViewerDep, client_address
from api.transport.schemas import (
    NAME_PATTERN,
    READ,
    WRITE,
    CreatedRoom,
    Members,
    PersonName,
    RoomList,
    RoomName,
    answers,
    hint,
)

router = APIRouter()


class NewRoom(BaseModel):
    name: RoomName
    topic: Annotated[str, Field(default="", max_length=200)]
    private: bool = False
    members: Annotated[
        list[PersonName], Field(default_factory=list, max_length=100, description="Private rooms: who may read it.")
    ]


class NewMember(BaseModel):
    name: PersonName


@router.get("/api/rooms", response_model=None, responses=answers({200: RoomList}, 401, 503))
async def list_rooms(rooms: RoomsDep, who: ViewerDep) -> dict[str, Any]:
    return {"rooms": await rooms.listing(who)}


@router.post(
    "/api/rooms",
    status_code=201,
    response_model=None,
    responses=answers({201: CreatedRoom}, 400, 401, 404, 409, 413, 415, 422, 429, 503),
)
async def create_room(body: NewRoom, request: Request, rooms: RoomsDep, who: UserDep) -> dict[str, Any]:
    return await rooms.create(body.name, who, body.topic, body.private, body.members, client_address(request))


def _members(room: str, people: list[dict[str, str]]) -> dict[str, Any]:
    return {"room": room, "members": [p["name"] for p in people], "people": people}


@router.post(
    "/api/rooms/{room}/members", status_code=201, response_model=None, responses=answers({201: Members}, *WRITE, 404)
)
async def add_member(room: RoomDep, body: NewMember, rooms: RoomsDep, who: UserDep) -> dict[str, Any]:
    return _members(room, await rooms.add_member(room, who, body.name))


@router.get("/api/rooms/{room}/members", response_model=None, responses=answers({200: Members}, *READ))
async def list_members(room: RoomDep, rooms: RoomsDep, who: ViewerDep) -> dict[str, Any]:
    return _members(room, await rooms.members(room, who))


@router.delete("/api/rooms/{room}/members/{name}", status_code=204, responses=answers({}, *READ, 400, 404))
async def remove_member(
    room: RoomDep, name: Annotated[str, Path(**hint(NAME_PATTERN, "Yours to leave."))], rooms: RoomsDep, who: UserDep
) -> Response:
    """Leave a private room yourself, or (its creator, an admin) remove someone from it."""
    await rooms.remove_member(room, who, name)
    return Response(status_code=204)
