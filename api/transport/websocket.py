"""WebSocket: the same events as JSON frames; send messages, edits, deletions, reactions, typing
and read receipts over it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from redis.exceptions import RedisError

from api.broker.connection import failure
from api.broker.subscription import End, Subscription
from api.domain.errors import Code, DomainError
from api.domain.identity import Identity, TokenSigner
from api.domain.messages import check_cursor, check_room
from api.observability.metrics import Metrics
from api.transport.delivery import Delivery
from api.transport.deps import (
    COOKIE,
    ConversationDep,
    FilesDep,
    MessagingDep,
    MetricsDep,
    QuotaDep,
    SignalingDep,
    SignerDep,
    StreamsDep,
    client_address,
    token_identity,
)
from api.transport.errors import CLOSE_UNAVAILABLE, close_code
from api.transport.tracking import Tracked
from api.usecases.conversation import Conversation
from api.usecases.files import Files
from api.usecases.messaging import Messaging
from api.usecases.signaling import Signaling
from api.usecases.streams import Opened
from api.wire import events
from api.wire.events import Event
from api.wire.ids import StreamKey

logger = logging.getLogger(__name__)
router = APIRouter()

# How a stream's end closes the socket: 1001 going away, 1003 unsupported data, 1012 service
# restart (the server is stopping: reconnect), 1013 try again later, 4403 no longer allowed to
# read the room, 4401 the session ended.
CLOSE_FOR = {
    End.SLOW: 1013,
    End.EXPIRED: 1001,
    End.SHUTDOWN: 1012,
    End.UNSUPPORTED: 1003,
    End.ACCESS: 4403,
    End.REVOKED: 4401,
}
CLOSE_REASON = {End.UNSUPPORTED: "binary frames are not supported: send JSON as text frames"}


def _identity(websocket: WebSocket, signer: TokenSigner) -> Identity | None:
    # A browser sends the cookie even from another site's page: only trust it from our own origin.
    origin = websocket.headers.get("origin")
    same_origin = origin is None or urlsplit(origin).netloc == websocket.headers.get("host")
    if not same_origin and COOKIE in websocket.cookies and "authorization" not in websocket.headers:
        raise DomainError(Code.CROSS_ORIGIN, "cross-origin sockets must authenticate with a header")
    return token_identity(websocket, signer, allow_cookie=same_origin)


FRAMES = ("message", "edit", "delete", "reaction", "typing", "read")


def _encode(event: Event, _: Mapping[str, StreamKey]) -> str | None:
    return None if event.kind == "heartbeat" else event.ws()


class _Handlers:
    """What a client may send over its socket, answered through the same use cases as HTTP."""

    def __init__(
        self,
        messaging: Messaging,
        conversation: Conversation,
        signaling: Signaling,
        metrics: Metrics,
        room: str,
        who: Identity | None,
        files: Files,
    ) -> None:
        self._messaging = messaging
        self._conversation = conversation
        self._files = files
        self._metrics = metrics
        self._signaling = signaling
        self._room = room
        self._who = who

    async def handle(self, raw: str) -> Event | None:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            return events.signal("error", code=Code.INVALID_JSON, message=f"frame is not valid JSON: {exc}")
        except RecursionError:
            return events.signal("error", code=Code.INVALID_JSON, message="frame is JSON nested too deeply")
        kind = data.get("type") if isinstance(data, dict) else None
        if kind not in FRAMES:
            kinds = " | ".join(f'"{frame}"' for frame in FRAMES)
            return events.signal("error", code=Code.INVALID_FRAME, message=f'send {{"type": {kinds}, ...}}')
        client_id = data.get("client_id")
        try:
            if self._who is None:
                raise DomainError(Code.SIGN_IN_REQUIRED, "sign in (POST /api/session) before sending")
            return await self._answer(kind, data, self._who)
        except DomainError as exc:
            return events.signal("error", code=exc.code, message=exc.message, client_id=client_id)
        except RedisError as exc:
            self._metrics.redis_error()
            err = failure(exc)
            return events.signal("error", code=err.code, message=err.message, client_id=client_id)

    async def _answer(self, kind: str, data: dict[str, Any], who: Identity) -> Event | None:
        room, client_id = self._room, data.get("client_id") or None
        if kind == "typing":
            await self._signaling.typing(room, who)
            return None
        if kind == "read":
            await self._signaling.read(room, who, data.get("id"))
            return None
        if kind == "message":
            sent = await self._messaging.send(
                room, who, data.get("text"), client_id, data.get("reply_to"), data.get("files")
            )
            return events.ack(client_id, sent.id, sent.message_json)
        conversation, id = self._conversation, data.get("id")
        if kind == "edit":
            changed = await conversation.edit(room, who, id, data.get("text"))
        elif kind == "delete":
            changed = await conversation.delete(room, who, id)
            await self._files.message_deleted(room, changed.stored_body)
        else:
            on = data.get("on", True)
            if not isinstance(on, bool):
                raise DomainError(Code.INVALID_FRAME, "'on' is true (react) or false (take it back)")
            changed = await conversation.react(room, who, id, data.get("emoji"), on)
        # The change's own id (None when nothing changed) and the message as it now is.
        return events.ack(client_id, changed.id, changed.message_json)


@router.websocket("/api/rooms/{room}/ws")
async def room_socket(
    websocket: WebSocket,
    room: str,
    streams: StreamsDep,
    messaging: MessagingDep,
    conversation: ConversationDep,
    signaling: SignalingDep,
    files: FilesDep,
    signer: SignerDep,
    quota: QuotaDep,
    metrics: MetricsDep,
) -> None:
    # Accept first: a close frame carries the reason, a refused handshake tells a browser nothing.
    await websocket.accept()
    try:
        check_room(room)
        raw = websocket.query_params.get("last_event_id")
        after = check_cursor(raw, "last_event_id") if raw else None
        who = _identity(websocket, signer)
        with quota.hold(client_address(websocket)):
            async with streams.open((room,), who, {room: after}) as opened:
                reason = await _serve(
                    websocket, opened, _Handlers(messaging, conversation, signaling, metrics, room, who, files), metrics
                )
    except DomainError as exc:
        await websocket.close(code=close_code(exc.code), reason=f"{exc.code}: {exc.message}"[:120])
        return
    except RedisError:
        metrics.redis_error()
        await websocket.close(code=CLOSE_UNAVAILABLE, reason="the message store is unreachable; reconnect shortly")
        return
    except WebSocketDisconnect:
        return
    code = CLOSE_FOR.get(reason)
    if code is not None:
        await websocket.close(code=code, reason=CLOSE_REASON.get(reason, reason.value))


async def _serve(websocket: WebSocket, opened: Opened, handlers: _Handlers, metrics: Metrics) -> End:
    """Catches the client up, then delivers live events while reading what it sends."""
    delivery = Delivery(opened.sub, _encode, websocket.send_text)
    reader = asyncio.create_task(_read(websocket, opened.sub, handlers))
    tracked = Tracked(metrics, "websocket", delivery)
    try:
        async for event in opened.catch_up:
            if opened.sub.closed:
                break
            await delivery.send((event,))
        tracked.reason = await delivery.run()
        return tracked.reason
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        tracked.close()


async def _read(websocket: WebSocket, sub: Subscription, handlers: _Handlers) -> None:
    try:
        while True:
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(frame.get("code", 1000))
            if frame.get("text") is None:
                sub.close(End.UNSUPPORTED)
                return
            reply = await handlers.handle(frame["text"])
            if reply is not None:
                sub.push(reply)
    except WebSocketDisconnect:
        sub.close(End.DISCONNECTED)
    except Exception:
        logger.exception("reading a client's socket failed; closing it")
        sub.close(End.ERROR)
