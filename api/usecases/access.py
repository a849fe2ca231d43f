"""Who may read a room, asked of the store and answered by the domain's rule."""

from __future__ import annotations

from api.broker.rooms import RoomStore
from api.domain.identity import Identity
from api.domain.rooms import require_read


async def check_read(rooms: RoomStore, room: str, who: Identity | None) -> None:
    require_read(room, await rooms.access(room, who), who)
