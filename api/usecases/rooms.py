"""The room list, creating rooms and private membership."""

from __future__ import annotations

from typing import Any

from api.broker.presence import Presence
from api.broker.rooms import RoomStore
from api.domain.errors import Code, DomainError
from api.domain.identity import Identity, check_name
from api.domain.messages import check_room
from api.domain.rooms import require_can_add_member, require_can_create
from api.usecases.access import check_read


class Rooms:
    def __init__(self, store: RoomStore, presence: Presence) -> None:
        self._store = store
        self._presence = presence

    async def listing(self, who: Identity | None) -> list[dict[str, Any]]:
        listing = await self._store.listing(who, {})
        counts = await self._presence.online_counts([r["name"] for r in listing])
        for room in listing:
            room["online"] = counts[room["name"]]
        return listing

    async def create(self, name: str, who: Identity, topic: str, private: bool, members: list[str]) -> dict[str, Any]:
        room = check_room(name)
        names = [check_name(m) for m in members]
        require_can_create(room, private)
        created = await self._store.create(room, who, topic.strip(), private, names)
        if created is None:
            raise DomainError(Code.ROOM_EXISTS, f"room {room!r} already exists")
        if private:
            created["members"] = await self._store.members(room)
        return created

    async def add_member(self, room: str, who: Identity, name: str) -> list[str]:
        member = check_name(name)
        require_can_add_member(room, await self._store.access(room, who))
        await self._store.add_member(room, member)
        return await self._store.members(room)

    async def members(self, room: str, who: Identity | None) -> list[str]:
        await check_read(self._store, room, who)
        return await self._store.members(room)
