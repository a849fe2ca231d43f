"""Typed dependencies: the resources the lifespan created, who is asking, and validated values."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends
from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from api.broker.accounts import Accounts
from api.broker.hub import Hub
from api.broker.presence import Presence
from api.broker.rooms import Rooms
from api.broker.signals import Signals
from api.broker.store import MessageStore
from api.config import Settings
from api.domain.identity import Identity, TokenSigner
from api.domain.messages import check_room
from api.errors import DomainError

COOKIE = "chat_token"


T = TypeVar("T")


def _state(name: str, kind: type[T]) -> Callable[[HTTPConnection], Awaitable[T]]:
    """A dependency returning what the lifespan put in the request state under `name`."""

    # Dependencies are async: FastAPI runs a plain `def` one in a worker thread, a costly hop.
    async def get(conn: HTTPConnection) -> T:
        value: T = getattr(conn.state, name)
        return value

    return get


SettingsDep = Annotated[Settings, Depends(_state("settings", Settings))]
RedisDep = Annotated[Redis, Depends(_state("redis", Redis))]
StoreDep = Annotated[MessageStore, Depends(_state("store", MessageStore))]
HubDep = Annotated[Hub, Depends(_state("hub", Hub))]
AccountsDep = Annotated[Accounts, Depends(_state("accounts", Accounts))]
RoomsDep = Annotated[Rooms, Depends(_state("rooms", Rooms))]
PresenceDep = Annotated[Presence, Depends(_state("presence", Presence))]
SignalsDep = Annotated[Signals, Depends(_state("signals", Signals))]
SignerDep = Annotated[TokenSigner, Depends(_state("signer", TokenSigner))]


def _bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "").strip()
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise DomainError(401, "invalid_token", "send the token as 'Authorization: Bearer TOKEN'")
    return token.strip()


def token_identity(conn: HTTPConnection, signer: TokenSigner, allow_cookie: bool) -> Identity | None:
    """The caller's identity from the Authorization header, or (for reads only, where a browser
    cannot set headers: EventSource, WebSocket) from the HttpOnly cookie."""
    token = _bearer(conn)
    if token is not None:
        return signer.verify(token)
    cookie = conn.cookies.get(COOKIE) if allow_cookie else None
    if not cookie:
        return None
    try:
        return signer.verify(cookie)
    except DomainError:
        # A stale cookie (expired, or from before the secret changed) must not lock a reader out
        # of public rooms: EventSource gives up for good on an error status. Read as anonymous.
        return None


async def _user(conn: HTTPConnection, signer: SignerDep) -> Identity:
    who = token_identity(conn, signer, allow_cookie=False)
    if who is None:
        raise DomainError(
            401, "sign_in_required", "sign in first: POST /api/session, then send 'Authorization: Bearer TOKEN'"
        )
    return who


async def _viewer(conn: HTTPConnection, signer: SignerDep) -> Identity | None:
    return token_identity(conn, signer, allow_cookie=True)


async def _room(room: str) -> str:
    return check_room(room)


UserDep = Annotated[Identity, Depends(_user)]
ViewerDep = Annotated[Identity | None, Depends(_viewer)]
RoomDep = Annotated[str, Depends(_room)]
