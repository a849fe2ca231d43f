"""Typed dependencies: the resources the lifespan created, who is asking, and validated values."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Path
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from api.broker.hub import Hub
from api.config import Settings
from api.domain.errors import Code, DomainError
from api.domain.identity import Identity, TokenSigner
from api.domain.messages import check_room
from api.observability.metrics import Metrics
from api.transport.client import client_address as client_address
from api.transport.quota import StreamQuota
from api.transport.schemas import ROOM_PATTERN, hint
from api.usecases.accounts import Accounts
from api.usecases.conversation import Conversation
from api.usecases.files import Files
from api.usecases.limits import Limits
from api.usecases.messaging import Messaging
from api.usecases.rooms import Rooms
from api.usecases.signaling import Signaling
from api.usecases.streams import Streams

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
HubDep = Annotated[Hub, Depends(_state("hub", Hub))]
SignerDep = Annotated[TokenSigner, Depends(_state("signer", TokenSigner))]
AccountsDep = Annotated[Accounts, Depends(_state("accounts", Accounts))]
RoomsDep = Annotated[Rooms, Depends(_state("rooms", Rooms))]
MessagingDep = Annotated[Messaging, Depends(_state("messaging", Messaging))]
ConversationDep = Annotated[Conversation, Depends(_state("conversation", Conversation))]
StreamsDep = Annotated[Streams, Depends(_state("streams", Streams))]
SignalingDep = Annotated[Signaling, Depends(_state("signaling", Signaling))]
LimitsDep = Annotated[Limits, Depends(_state("limits", Limits))]
QuotaDep = Annotated[StreamQuota, Depends(_state("quota", StreamQuota))]
MetricsDep = Annotated[Metrics, Depends(_state("metrics", Metrics))]
FilesDep = Annotated[Files, Depends(_state("files", Files))]


def _bearer(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization", "").strip()
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise DomainError(Code.INVALID_TOKEN, "send the token as 'Authorization: Bearer TOKEN'")
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


def current_session(conn: HTTPConnection, signer: TokenSigner) -> Identity | None:
    """The caller's session, if it has a valid one (a stale token just means none)."""
    try:
        return token_identity(conn, signer, allow_cookie=True)
    except DomainError:
        return None


def require_user(who: Identity | None) -> Identity:
    if who is None:
        raise DomainError(
            Code.SIGN_IN_REQUIRED, "sign in first: POST /api/session, then send 'Authorization: Bearer TOKEN'"
        )
    return who


# Declares the Bearer scheme in the OpenAPI document for the routes that need a token; the token
# itself is read and checked by token_identity.
_BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", description="The token from POST /api/session.")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]


async def _sender(conn: HTTPConnection, signer: SignerDep, _: Bearer) -> Identity:
    # The send script checks that the session is alive: no round trip here.
    return require_user(token_identity(conn, signer, allow_cookie=False))


async def _user(conn: HTTPConnection, signer: SignerDep, accounts: AccountsDep, _: Bearer) -> Identity:
    return await accounts.check_session(require_user(token_identity(conn, signer, allow_cookie=False)))


async def _viewer(conn: HTTPConnection, signer: SignerDep, accounts: AccountsDep) -> Identity | None:
    if conn.headers.get("authorization"):
        who = token_identity(conn, signer, allow_cookie=False)
        return await accounts.check_session(who) if who is not None else None
    who = token_identity(conn, signer, allow_cookie=True)
    if who is None:
        return None
    try:
        return await accounts.check_session(who)
    except DomainError:
        return None  # an ended session's cookie reads as anonymous, as a stale one does


async def _reader(conn: HTTPConnection, signer: SignerDep) -> Identity | None:
    # Streams check the session in the script that opens them: no round trip here.
    return token_identity(conn, signer, allow_cookie=True)


async def _room(room: Annotated[str, Path(**hint(ROOM_PATTERN, "1-64 of a-z 0-9 - _"))]) -> str:
    return check_room(room)


async def _address(conn: HTTPConnection) -> str:
    return client_address(conn)


SenderDep = Annotated[Identity, Depends(_sender)]
UserDep = Annotated[Identity, Depends(_user)]
ViewerDep = Annotated[Identity | None, Depends(_viewer)]
ReaderDep = Annotated[Identity | None, Depends(_reader)]
RoomDep = Annotated[str, Depends(_room)]
# The client's address, honouring TRUST_PROXY: api.transport.client.client_address (also re-exported here).
AddressDep = Annotated[str, Depends(_address)]
