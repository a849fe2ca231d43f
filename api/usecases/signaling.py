"""Typing, read receipts and who is online: what HTTP and WebSocket both call."""

from __future__ import annotations

from typing import Any

from api.broker.presence import Presence
from api.broker.rooms import RoomStore
from api.broker.signals import Signals
from api.domain.errors import Code, DomainError
from api.domain.identity import Identity
from api.domain.messages import check_message_id
from api.usecases.access import check_read


class Signaling:
    def __init__(self, rooms: RoomStore, signals: Signals, presence: Presence) -> None:
        self._rooms = rooms
        self._signals = signals
        self._presence = presence

    async def typing(self, room: str, who: Identity) -> bool:
        """Tells the room that `who` types; False when throttled."""
        await check_read(self._rooms, room, who)
        return await self._signals.typing(room, who)

    async def read(self, room: str, who: Identity, message_id: object) -> dict[str, Any]:
        """Moves `who`'s read position forward to `message_id`; their position."""
        id = check_message_id(message_id if isinstance(message_id, str) else "")
        await check_read(self._rooms, room, who)
        position = await self._signals.read(room, who, id)
        if position is None:
            raise DomainError(Code.NO_SUCH_MESSAGE, f"room {room!r} has no message {id!r}")
        return position

    async def reads(self, room: str, who: Identity | None) -> list[dict[str, Any]]:
        await check_read(self._rooms, room, who)
        return await self._signals.positions(room)

    async def online(self, room: str, who: Identity | None) -> list[str]:
        await check_read(self._rooms, room, who)
        return await self._presence.online(room)
