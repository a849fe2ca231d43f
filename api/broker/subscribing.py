"""The context of `Hub.subscribe`: a client's subscription registered with the hub (and its
channels followed) for as long as the block runs."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from api.broker import keys
from api.broker.subscription import Subscription
from api.domain.identity import Identity

if TYPE_CHECKING:
    from api.broker.hub import Hub


class Subscribing:
    """The context of `Hub.subscribe`: a class, not a generator, as thousands of idle streams each
    hold one for their whole life (a suspended generator and its frame cost several times more)."""

    __slots__ = ("_channels", "_hub", "_sub")

    def __init__(self, hub: Hub, rooms: tuple[str, ...], viewer: Identity | None) -> None:
        self._hub = hub
        self._sub = Subscription(rooms, hub._queue_size, viewer)
        self._channels = (*rooms, keys.USER_ROOM + viewer.user_id) if viewer is not None else rooms

    async def __aenter__(self) -> Subscription:
        hub, sub, channels = self._hub, self._sub, self._channels
        new = hub._register(sub, channels)
        try:
            await hub._follow(new, channels)
        except BaseException:
            await hub._unregister(sub, channels)
            raise
        return sub

    async def as_anonymous(self) -> None:
        """Its session turned out to have ended: it reads on as anonymous, no longer on the
        account's own channel (membership, sign-out) nor taken for a stream of that session."""
        own = self._channels[len(self._sub.rooms) :]
        self._sub.viewer = None
        self._channels = self._channels[: len(self._sub.rooms)]
        if own:
            await self._hub._leave(self._sub, own)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._hub._unregister(self._sub, self._channels)
