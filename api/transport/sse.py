"""A lean ASGI response for Server-Sent Events, fed by a stream the use case opened.

sse-starlette's EventSourceResponse runs an anyio task group per response (its sender, a ping
task, a disconnect listener and an exit watcher); at thousands of streams per process those tasks
and their per-event handoff cost more than the write itself. This response writes through the
shared Delivery and, under uvicorn, keeps no task of its own (the protocol reports a lost
connection); sse-starlette still encodes every frame (api/wire/sse.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext
from functools import partial

from redis.exceptions import RedisError
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from api.broker.subscription import End, Subscription
from api.observability.metrics import Metrics
from api.transport.delivery import Delivery
from api.transport.direct import body_writer, chunk, on_hangup
from api.transport.tracking import Tracked
from api.usecases.streams import Opened
from api.wire import sse
from api.wire.events import Event
from api.wire.ids import StreamKey, format_positions

logger = logging.getLogger(__name__)

Encoder = Callable[[Event, Mapping[str, StreamKey]], bytes]

HEADERS = {
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
    "content-type": "text/event-stream; charset=utf-8",
}
RAW_HEADERS = [(k.encode(), v.encode()) for k, v in HEADERS.items()]  # shared: only ever read
REPLAY_CHUNK = 64 * 1024
# A catch-up that takes longer than this (a client that stopped reading it) ends the stream.
CATCH_UP_MAX_SECONDS = 60.0


class Answer:
    """The start of an answer sent without middlewares (stream_routes.py): its headers, all of
    them, and its status once sent (0 before)."""

    __slots__ = ("headers", "status")

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self.headers = headers
        self.status = 0


def single_room(event: Event, _: Mapping[str, StreamKey]) -> bytes:
    return event.sse()


def lane_frame(event: Event) -> bytes:
    """What a room's lane writes of `event` to each of its streams (single_room's frame, chunked)."""
    return chunk(event.sse())


def multi_room(event: Event, sent: Mapping[str, StreamKey]) -> bytes:
    """Frames whose id carries every room's position, so one id resumes them all."""
    if event.id is None:
        return event.sse()
    return sse.with_id(format_positions(dict(sent)), event.sse_without_id())


def _one_chunk(payloads: list[bytes]) -> list[bytes]:
    return [b"".join(payloads)]


class EventStream(Response):
    def __init__(
        self,
        opening: AbstractAsyncContextManager[Opened],
        *,
        encode: Encoder,
        retry_ms: int,
        max_seconds: float,
        metrics: Metrics,
        quota: AbstractContextManager[None] | None = None,
    ) -> None:
        # No super().__init__: it would add a Content-Length for an empty body.
        self.status_code = 200
        self.background = None
        self.raw_headers = RAW_HEADERS
        self._opening = opening
        self._encode = encode
        self._retry_ms = retry_ms
        self._max_seconds = max_seconds
        self._metrics = metrics
        self._quota = quota or nullcontext()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Opening checks access and reads positions before answering: a refusal or Redis being
        # away is an error status, not a stream that ends at once.
        with self._quota:
            await serve_events(
                scope, receive, send, self._opening, self._encode, self._retry_ms, self._max_seconds, self._metrics
            )


async def serve_events(
    scope: Scope,
    receive: Receive,
    send: Send,
    opening: AbstractAsyncContextManager[Opened],
    encode: Encoder,
    retry_ms: int,
    max_seconds: float,
    metrics: Metrics,
    answer: Answer | None = None,
) -> None:
    """Opens the stream, answers its start, writes the catch-up, then the live events until it
    ends. One coroutine (kept while the stream lasts): no more frames than needed per idle client."""
    async with opening as opened:
        sub = opened.sub
        if answer is None:
            await send({"type": "http.response.start", "status": 200, "headers": RAW_HEADERS})
        else:
            answer.status = 200
            await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
        lane = lane_frame if encode is single_room else None
        delivery = Delivery(sub, encode, body_writer(scope, send), _one_chunk, lane)
        # Under uvicorn the protocol tells the subscription of a lost connection itself; elsewhere
        # a task waits for the disconnect on `receive`.
        watcher = None
        if not on_hangup(scope, send, partial(sub.close, End.DISCONNECTED)):
            watcher = asyncio.create_task(_watch_disconnect(receive, sub))
        tracked = Tracked(metrics, "sse", delivery)
        try:
            async with asyncio.timeout(CATCH_UP_MAX_SECONDS):
                await delivery.write(sse.retry(retry_ms))
                await _catch_up(delivery, opened)
            # Its markers and finished catch-up are not kept for the stream's life.
            del opened
            reason = tracked.reason = await delivery.run(max_seconds)
        except RedisError as exc:
            metrics.redis_error()
            logger.warning("stream ended: Redis failed during replay (%s)", exc)
            reason = tracked.reason = End.ERROR
        except TimeoutError:
            tracked.reason = End.SLOW  # it stopped reading its catch-up; it resumes by id
            return
        finally:
            if watcher is not None:
                watcher.cancel()
            tracked.close()
        if reason is End.SLOW:
            # Its socket is full: the closing chunk could not be written either.
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _catch_up(delivery: Delivery[bytes], opened: Opened) -> None:
    batch: list[Event] = []
    size = 0
    async for event in opened.catch_up:
        if opened.sub.closed:
            return
        batch.append(event)
        size += len(event.data)
        if size >= REPLAY_CHUNK:
            await delivery.send(batch)
            batch, size = [], 0
    await delivery.send(batch)


async def _watch_disconnect(receive: Receive, sub: Subscription) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    sub.close(End.DISCONNECTED)
