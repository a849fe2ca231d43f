"""HTTP: the room list, creating rooms, and private-room membership."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import PresenceDep, RoomDep, RoomsDep, UserDep, ViewerDep
from api.domain.identity import check_name
from api.domain.messages import check_room

router = APIRouter()


class NewRoom(BaseModel):
    name: str
    topic: Annotated[str, Field(default="", max_length=200)]
    private: bool = False
    members: Annotated[list[str], Field(default_factory=list, max_length=100)]


class NewMember(BaseModel):
    name: str


@router.get("/api/rooms")
async def list_rooms(rooms: RoomsDep, presence: PresenceDep, who: ViewerDep) -> dict[str, Any]:
    listing = await rooms.listing(who, {})
    counts = await presence.online_counts([r["name"] for r in listing])
    for room in listing:
        room["online"] = counts[room["name"]]
    return {"rooms": listing}


@router.post("/api/rooms", status_code=201)
async def create_room(body: NewRoom, rooms: RoomsDep, who: UserDep) -> dict[str, Any]:
    room = check_room(body.name)
    members = [check_name(m) for m in body.members]
    created = await rooms.create(room, who, body.topic.strip(), body.private, members)
    if body.private:
        created["members"] = await rooms.members(room)
    return created


@router.post("/api/rooms/{room}/members", status_code=201)
async def add_member(room: RoomDep, body: NewMember, rooms: RoomsDep, who: UserDep) -> dict[str, Any]:
    await rooms.add_member(room, who, check_name(body.name))
    return {"room": room, "members": await rooms.members(room)}


@router.get("/api/rooms/{room}/members")
async def list_members(room: RoomDep, rooms: RoomsDep, who: ViewerDep) -> dict[str, Any]:
    await rooms.check_read(room, who)
    return {"room": room, "members": await rooms.members(room)}
