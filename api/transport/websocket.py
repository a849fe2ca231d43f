"""WebSocket: the same events as JSON frames; send messages, typing and read receipts over it."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from redis.exceptions import RedisError

from api.broker import eager
from api.broker.resume import resume
from api.broker.subscription import Closed, Subscription
from api.deps import COOKIE, token_identity
from api.domain.identity import Identity, TokenSigner
from api.domain.messages import check_client_id, check_cursor, check_message_id, check_room, check_text
from api.errors import DomainError, RedisUnavailable
from api.wire.events import Event

logger = logging.getLogger(__name__)
router = APIRouter()

# Close codes: 1008 policy (bad input, no access), 1001 going away, 1013 try again later.
CLOSE_FOR = {"slow": 1013, "expired": 1001, "shutdown": 1001}


def _frame(kind: str, **fields: object) -> Event:
    return Event("", kind, json.dumps(fields, ensure_ascii=False, separators=(",", ":")))


def _identity(websocket: WebSocket, signer: TokenSigner) -> Identity | None:
    # A browser sends the cookie even from another site's page: only trust it from our own origin.
    origin = websocket.headers.get("origin")
    same_origin = origin is None or urlsplit(origin).netloc == websocket.headers.get("host")
    if not same_origin and COOKIE in websocket.cookies and "authorization" not in websocket.headers:
        raise DomainError(403, "cross_origin", "cross-origin sockets must authenticate with a header")
    return token_identity(websocket, signer, allow_cookie=same_origin)


@router.websocket("/api/rooms/{room}/ws")
async def room_socket(websocket: WebSocket, room: str) -> None:
    state = websocket.state
    try:
        check_room(room)
        raw = websocket.query_params.get("last_event_id")
        after = check_cursor(raw, "last_event_id") if raw else None
        who = _identity(websocket, state.signer)
        await state.rooms.check_read(room, who)
    except DomainError as exc:
        # Accept first: a close frame carries the reason, a refused handshake tells a browser nothing.
        await websocket.accept()
        await websocket.close(code=1008, reason=f"{exc.code}: {exc.message}"[:120])
        return
    except RedisError:
        await websocket.accept()
        await websocket.close(code=1013, reason="the message store is unreachable; reconnect shortly")
        return
    await websocket.accept()
    async with state.hub.subscribe((room,)) as sub, state.presence.present((room,), who):
        try:
            async for event in resume(state.store, sub, {room: after}):
                if sub.fresh(event):
                    await websocket.send_text(event.ws())
        except RedisError:
            await websocket.close(code=1013, reason="the message store is unreachable; reconnect shortly")
            return
        async with asyncio.TaskGroup() as group:
            reader = group.create_task(_read(websocket, sub, state, room, who))
            await _pump(websocket, sub)
            reader.cancel()
        code = CLOSE_FOR.get(sub.reason)
        if code is not None:
            await websocket.close(code=code, reason=sub.reason)


async def _pump(websocket: WebSocket, sub: Subscription) -> None:
    def sink(event: Event) -> Awaitable[None] | None:
        if event.kind == "heartbeat" or not sub.fresh(event):
            return None
        return eager.start(websocket.send_text(event.ws()))

    sub.attach(sink)
    try:
        while True:
            for event in await sub.get():
                if event.kind != "heartbeat" and sub.fresh(event):
                    sub.writing(True)
                    await websocket.send_text(event.ws())
                    sub.writing(False)
    except Closed:
        return
    except asyncio.CancelledError:
        if sub.reason != "slow" and not sub.blocked:
            raise
        current = asyncio.current_task()
        if current is not None:
            current.uncancel()


async def _read(websocket: WebSocket, sub: Subscription, state: Any, room: str, who: Identity | None) -> None:
    try:
        while True:
            raw = await websocket.receive_text()
            reply = await _handle(raw, state, room, who)
            if reply is not None:
                sub.push(reply)
    except WebSocketDisconnect:
        sub.close("disconnected")


async def _handle(raw: str, state: Any, room: str, who: Identity | None) -> Event | None:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return _frame("error", code="invalid_json", message=f"frame is not valid JSON: {exc}")
    kind = data.get("type") if isinstance(data, dict) else None
    if kind not in ("message", "typing", "read"):
        return _frame("error", code="invalid_frame", message='send {"type": "message" | "typing" | "read", ...}')
    client_id = data.get("client_id")
    try:
        if who is None:
            raise DomainError(401, "sign_in_required", "sign in (POST /api/session) before sending")
        if kind == "typing":
            await state.signals.typing(room, who)
            return None
        if kind == "read":
            await state.signals.read(room, who, check_message_id(str(data.get("id", ""))))
            return None
        text = check_text(data.get("text"), state.settings.max_message_chars)
        cid = check_client_id(client_id)
        sent = await state.store.send(room, who, text, cid)
    except DomainError as exc:
        return _frame("error", code=exc.code, message=exc.message, client_id=client_id)
    except RedisError:
        err = RedisUnavailable()
        return _frame("error", code=err.code, message=err.message, client_id=client_id)
    message = json.loads(sent.message)
    return _frame("ack", id=message["id"], client_id=cid, message=message)
