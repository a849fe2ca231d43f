"""WebSocket: the same events as JSON frames, and sending over the same socket."""

from __future__ import annotations

import asyncio
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from redis.exceptions import RedisError

from api.broker.hub import Hub
from api.broker.resume import resume
from api.broker.store import MessageStore
from api.broker.subscription import Closed, Subscription
from api.config import Settings
from api.domain.messages import check_client_id, check_cursor, check_room, check_text, check_user
from api.errors import DomainError, RedisUnavailable
from api.wire.events import Event

logger = logging.getLogger(__name__)
router = APIRouter()

# Close codes: 1008 policy (bad input), 1011 server error, 1013 try again later.
CLOSE_FOR = {"slow": 1013, "expired": 1001, "shutdown": 1001}


def _frame(kind: str, **fields: object) -> Event:
    return Event("", kind, json.dumps(fields, ensure_ascii=False, separators=(",", ":")))


@router.websocket("/api/rooms/{room}/ws")
async def room_socket(websocket: WebSocket, room: str) -> None:
    settings: Settings = websocket.state.settings
    hub: Hub = websocket.state.hub
    store: MessageStore = websocket.state.store
    try:
        check_room(room)
        raw = websocket.query_params.get("last_event_id")
        after = check_cursor(raw, "last_event_id") if raw else None
    except DomainError as exc:
        # Accept first: a close frame carries the reason, a refused handshake tells a browser nothing.
        await websocket.accept()
        await websocket.close(code=1008, reason=exc.message[:120])
        return
    await websocket.accept()
    async with hub.subscribe((room,)) as sub:
        try:
            async for event in resume(store, sub, room, after):
                if sub.fresh(event):
                    await websocket.send_text(event.ws())
        except RedisError:
            await websocket.close(code=1013, reason="the message store is unreachable; reconnect shortly")
            return
        async with asyncio.TaskGroup() as group:
            reader = group.create_task(_read(websocket, sub, store, settings, room))
            await _pump(websocket, sub)
            reader.cancel()
        code = CLOSE_FOR.get(sub.reason)
        if code is not None:
            await websocket.close(code=code, reason=sub.reason)


async def _pump(websocket: WebSocket, sub: Subscription) -> None:
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
        if sub.reason != "slow":
            raise
        current = asyncio.current_task()
        if current is not None:
            current.uncancel()


async def _read(websocket: WebSocket, sub: Subscription, store: MessageStore, settings: Settings, room: str) -> None:
    try:
        while True:
            raw = await websocket.receive_text()
            sub.push(await _handle(raw, store, settings, room))
    except WebSocketDisconnect:
        sub.close("disconnected")


async def _handle(raw: str, store: MessageStore, settings: Settings, room: str) -> Event:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return _frame("error", code="invalid_json", message=f"frame is not valid JSON: {exc}")
    if not isinstance(data, dict) or data.get("type") != "message":
        return _frame("error", code="invalid_frame", message='send {"type": "message", "text": ...}')
    client_id = data.get("client_id")
    try:
        text = check_text(data.get("text"), settings.max_message_chars)
        cid = check_client_id(client_id)
        user = check_user(data.get("user"))
        sent = await store.send(room, user, text, cid)
    except DomainError as exc:
        return _frame("error", code=exc.code, message=exc.message, client_id=client_id)
    except RedisError:
        err = RedisUnavailable()
        return _frame("error", code=err.code, message=err.message, client_id=client_id)
    message = json.loads(sent.message)
    return _frame("ack", id=message["id"], client_id=cid, message=message)
