"""A lean ASGI response for Server-Sent Events fed by a hub subscription.

Every live event arrives already encoded. While the client keeps up, the hub writes each event
to it directly (see broker/eager.py): no task switch, timer or queue per delivery. Whatever
arrives while a write waits for the socket is queued and written by the client's own task in
one send. One small task per client waits for the disconnect; a timer ends the stream after its
maximum duration.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, nullcontext

from redis.exceptions import RedisError
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api.broker import eager
from api.broker.hub import Hub
from api.broker.subscription import Closed, Subscription
from api.wire import sse
from api.wire.events import Event

logger = logging.getLogger(__name__)

Encoder = Callable[[Subscription, Event], bytes]
Opener = Callable[[Subscription], AsyncIterator[Event]]

HEADERS = {
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
    "content-type": "text/event-stream; charset=utf-8",
}
REPLAY_CHUNK = 64 * 1024


def single_room(_: Subscription, event: Event) -> bytes:
    return event.sse()


class EventStream(Response):
    def __init__(
        self,
        hub: Hub,
        rooms: tuple[str, ...],
        opener: Opener,
        *,
        encode: Encoder = single_room,
        presence: AbstractAsyncContextManager[None] | None = None,
        retry_ms: int,
        max_seconds: float,
    ) -> None:
        # No super().__init__: it would add a Content-Length for an empty body.
        self.status_code = 200
        self.background = None
        self.raw_headers = [(k.encode(), v.encode()) for k, v in HEADERS.items()]
        self._hub = hub
        self._rooms = rooms
        self._opener = opener
        self._encode = encode
        self._presence = presence or nullcontext()
        self._retry_ms = retry_ms
        self._max_seconds = max_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with self._hub.subscribe(self._rooms) as sub, self._presence:
            # Read the client's position before answering, so that Redis being away is a 503.
            opening = self._opener(sub)
            first = await anext(opening, None)
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            watcher = asyncio.create_task(_watch_disconnect(receive, sub))
            timer = (
                asyncio.get_running_loop().call_later(self._max_seconds, sub.close, "expired")
                if self._max_seconds > 0
                else None
            )
            try:
                prelude = [sse.retry(self._retry_ms)]
                if first is not None:
                    prelude.append(self._encode(sub, first) if sub.fresh(first) else b"")
                await self._write(sub, send, prelude)
                await self._replay(sub, send, opening)
                await self._pump(sub, send)
            except Closed as closed:
                logger.debug("stream closed: %s", closed.reason)
                if closed.reason == "slow":
                    # Its socket is full: the closing chunk could not be written either.
                    logger.info("dropped a client too slow to read its stream; it resumes by id")
                    return
            except asyncio.CancelledError:
                # Either the hub cut a client that stopped reading, or the server is shutting
                # down. Both are ends of this stream, not errors; the client resumes by id.
                current = asyncio.current_task()
                if current is not None:
                    current.uncancel()
                if sub.reason == "slow" or sub.blocked:
                    logger.info("dropped a client too slow to read its stream; it resumes by id")
                    return
                sub.close("shutdown")
            except RedisError as exc:
                logger.warning("stream ended: Redis failed during replay (%s)", exc)
            finally:
                watcher.cancel()
                if timer is not None:
                    timer.cancel()
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _write(self, sub: Subscription, send: Send, chunks: Iterable[bytes]) -> None:
        body = b"".join(chunks)
        if body:
            sub.writing(True)
            await send({"type": "http.response.body", "body": body, "more_body": True})
            sub.writing(False)

    async def _replay(self, sub: Subscription, send: Send, opening: AsyncIterator[Event]) -> None:
        chunks: list[bytes] = []
        size = 0
        async for event in opening:
            if sub.closed:
                raise Closed(sub.reason)
            if sub.fresh(event):
                chunk = self._encode(sub, event)
                chunks.append(chunk)
                size += len(chunk)
                if size >= REPLAY_CHUNK:
                    await self._write(sub, send, chunks)
                    chunks, size = [], 0
        await self._write(sub, send, chunks)

    async def _pump(self, sub: Subscription, send: Send) -> None:
        encode = self._encode
        fresh = sub.fresh

        def sink(event: Event) -> Awaitable[None] | None:
            if not fresh(event):
                return None
            return eager.start(send({"type": "http.response.body", "body": encode(sub, event), "more_body": True}))

        sub.attach(sink)
        while True:
            batch = await sub.get()
            await self._write(sub, send, [encode(sub, event) for event in batch if fresh(event)])


async def _watch_disconnect(receive: Receive, sub: Subscription) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    sub.close("disconnected")
