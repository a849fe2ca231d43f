"""HTTP: the room list, creating rooms, and private-room membership."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from api.transport.deps import RoomDep, RoomsDep, UserDep, ViewerDep, client_address

router = APIRouter()


class NewRoom(BaseModel):
    name: str
    topic: Annotated[str, Field(default="", max_length=200)]
    private: bool = False
    members: Annotated[list[str], Field(default_factory=list, max_length=100)]


class NewMember(BaseModel):
    name: str


@router.get("/api/rooms")
async def list_rooms(rooms: RoomsDep, who: ViewerDep) -> dict[str, Any]:
    return {"rooms": await rooms.listing(who)}


@router.post("/api/rooms", status_code=201)
async def create_room(body: NewRoom, request: Request, rooms: RoomsDep, who: UserDep) -> dict[str, Any]:
    return await rooms.create(body.name, who, body.topic, body.private, body.members, client_address(request))


def _members(room: str, people: list[dict[str, str]]) -> dict[str, Any]:
    return {"room": room, "members": [p["name"] for p in people], "people": people}


@router.post("/api/rooms/{room}/members", status_code=201)
async def add_member(room: RoomDep, body: NewMember, rooms: RoomsDep, who: UserDep) -> dict[str, Any]:
    return _members(room, await rooms.add_member(room, who, body.name))


@router.get("/api/rooms/{room}/members")
async def list_members(room: RoomDep, rooms: RoomsDep, who: ViewerDep) -> dict[str, Any]:
    return _members(room, await rooms.members(room, who))


@router.delete("/api/rooms/{room}/members/{name}", status_code=204)
async def remove_member(room: RoomDep, name: str, rooms: RoomsDep, who: UserDep) -> Response:
    """Leave a private room yourself, or (its creator, an admin) remove someone from it."""
    await rooms.remove_member(room, who, name)
    return Response(status_code=204)
