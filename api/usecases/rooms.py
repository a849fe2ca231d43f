"""The room list, creating rooms and private membership."""

from __future__ import annotations

from typing import Any

from api.broker.access_cache import AccessCache
from api.broker.accounts import AccountStore
from api.broker.presence import Presence
from api.broker.rooms import RoomStore
from api.domain.errors import Code, DomainError
from api.domain.identity import Identity, check_name, name_key
from api.domain.messages import check_room
from api.domain.rooms import check_topic, require_can_add_member, require_can_create, require_can_remove
from api.usecases.access import check_read
from api.usecases.limits import Limits


class Rooms:
    def __init__(
        self,
        store: RoomStore,
        accounts: AccountStore,
        presence: Presence,
        limits: Limits,
        admins: frozenset[str],
        cache: AccessCache,
    ) -> None:
        self._store = store
        # Told of this process's own access changes at once: the event on the room's channel
        # reaches it a moment later, and a connect right after the change must not get ahead of it.
        self._cache = cache
        self._accounts = accounts
        self._presence = presence
        self._limits = limits
        self._admins = admins

    async def listing(self, who: Identity | None) -> list[dict[str, Any]]:
        """The room list; `moderator` (signed in only): may delete others' messages there, as its
        creator or an admin."""
        listing = await self._store.listing(who)
        counts = await self._presence.online_counts([r["name"] for r in listing])
        admin = self._is_admin(who)
        for room in listing:
            room["online"] = counts[room["name"]]
            if admin:
                room["moderator"] = True
        return listing

    def _is_admin(self, who: Identity | None) -> bool:
        return who is not None and who.kind == "user" and who.key in self._admins

    async def _holder(self, name: object) -> str:
        """The account id behind a display name held right now: nothing is reserved for a name."""
        checked = check_name(name)
        user_id = await self._accounts.holder(name_key(checked))
        if user_id is None:
            raise DomainError(Code.NO_SUCH_USER, f"nobody is called {checked!r}")
        return user_id

    async def create(
        self, name: str, who: Identity, topic: str, private: bool, members: list[str], address: str
    ) -> dict[str, Any]:
        room = check_room(name)
        topic = check_topic(topic)
        require_can_create(room, private)
        member_ids = [await self._holder(m) for m in members]
        await self._limits.room_created(who, address)
        created = await self._store.create(room, who, topic, private, member_ids)
        self._cache.access_changed(room)
        if created is None:
            raise DomainError(Code.ROOM_EXISTS, f"room {room!r} already exists")
        if private:
            people = await self._people(room)
            created["members"] = [p["name"] for p in people]
            created["people"] = people
        return created

    async def add_member(self, room: str, who: Identity, name: str) -> list[dict[str, str]]:
        require_can_add_member(room, await self._store.access(room, who))
        await self._store.change_member(room, await self._holder(name), add=True)
        self._cache.access_changed(room)
        return await self._people(room)

    async def remove_member(self, room: str, who: Identity, name: str) -> None:
        user_id = await self._holder(name)
        admin = self._is_admin(who)
        require_can_remove(room, await self._store.access(room, who), who, user_id, admin)
        removed = await self._store.change_member(room, user_id, add=False)
        self._cache.access_changed(room)
        if not removed:
            raise DomainError(Code.NO_SUCH_MEMBER, f"{name!r} is not a member of {room!r}")

    async def members(self, room: str, who: Identity | None) -> list[dict[str, str]]:
        await check_read(self._store, room, who)
        return await self._people(room)

    async def _people(self, room: str) -> list[dict[str, str]]:
        names = await self._accounts.names(await self._store.member_ids(room))
        return sorted(({"user_id": uid, "name": name} for uid, name in names.items()), key=lambda p: p["name"].lower())
