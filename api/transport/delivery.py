"""The one way live events reach a client, whatever the transport.

A transport gives an encoder (event -> payload, or None to skip it) and a write (payload ->
awaitable); the delivery does the rest:
- it skips stored events the client was already sent (`sent`: replay and live overlap once);
- while the client keeps up, the hub's task writes each event at once (see eager.py): no task
  switch, timer or queue per delivery;
- a write that has to wait for the socket is finished by the client's own task, and whatever
  arrives meanwhile waits in the subscription's bounded queue, written later in one batch;
- when the subscription ends while a write is stuck (a client that stopped reading, a shutdown),
  the client's task is cancelled out of it; an eager write never finished is closed;
- it ends the stream after `max_seconds` and says why it ended (End);
- it counts the events it hands the transport (`delivered`: metrics read it when scraped, so a
  delivery costs no call into them);
- an SSE stream of one room written straight to its socket (`frame` given) offers its
  subscription a seat in the room's lane (api/broker/lane.py): while the client keeps up, the
  fan-out writes to its socket without this delivery, which is told where it stands on leaving.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Generic, TypeVar

from starlette.websockets import WebSocketDisconnect

from api.broker.subscription import Closed, End, Subscription
from api.transport import eager
from api.transport.direct import DirectWriter
from api.wire.events import HEARTBEAT, Event
from api.wire.ids import StreamKey

logger = logging.getLogger(__name__)

P = TypeVar("P", bytes, str)
Encoder = Callable[[Event, Mapping[str, StreamKey]], P | None]
Writer = Callable[[P], Awaitable[None] | None]  # None: written at once


def _each(payloads: list[P]) -> list[P]:
    return payloads


def _failed(exc: Exception) -> End:
    """Why a failed write ends its stream: a client that went away mid-write (a WebSocket closed
    by its client while an event was on its way, a reset socket) is no error of the server's."""
    if isinstance(exc, WebSocketDisconnect | ConnectionError):
        logger.debug("the client went away during a write (%r)", exc)
        return End.DISCONNECTED
    logger.warning("writing to a client failed (%r); its stream ends", exc)
    return End.ERROR


class Delivery(Generic[P]):
    __slots__ = (
        "_counted",
        "_cut",
        "_encode",
        "_frame",
        "_merge",
        "_pending",
        "_sub",
        "_task",
        "_write",
        "_writing",
        "sent",
    )

    def __init__(
        self,
        sub: Subscription,
        encode: Encoder[P],
        write: Writer[P],
        merge: Callable[[list[P]], list[P]] = _each,
        frame: Callable[[Event], bytes] | None = None,
    ) -> None:
        """`merge` turns a batch of payloads into what is written (one joined chunk, for SSE);
        `frame`, an event as its lane writes it, is given by streams that may ride one."""
        self._sub = sub
        self._encode: Encoder[P] = encode
        self._write: Writer[P] = write
        self._merge: Callable[[list[P]], list[P]] = merge
        self.sent: dict[str, StreamKey] = dict(sub.anchors)
        self._task: asyncio.Task[object] | None = None
        self._writing = False
        self._pending: eager.Rest | Awaitable[None] | None = None
        self._cut = False
        self._counted = 0  # events handed to the transport, keep-alives aside, lane's aside
        self._frame = frame if isinstance(write, DirectWriter) else None

    @property
    def rooms(self) -> tuple[str, ...]:
        return self._sub.rooms

    @property
    def delivered(self) -> int:
        """Events handed to the transport, keep-alives aside, its lane's included."""
        return self._counted + self._sub.lane_share()

    @property
    def transport(self) -> asyncio.WriteTransport:
        assert isinstance(self._write, DirectWriter)
        return self._write.transport

    @property
    def frame(self) -> Callable[[Event], bytes]:
        assert self._frame is not None
        return self._frame

    @property
    def idle(self) -> bool:
        return not self._writing and self._pending is None

    def left(self, room: str, last: StreamKey, written: int) -> None:
        """Its subscription left the room's lane, which had written it everything up to `last`."""
        sent = self.sent.get(room)
        if sent is None or last > sent:
            self.sent[room] = last
        self._counted += written

    def _take(self, event: Event) -> P | None:
        """The event's payload if the client was not sent it yet; from now on it counts as sent."""
        key = event.key
        if key is not None:
            room = event.room
            if key <= self.sent[room]:
                return None
            self.sent[room] = key
        payload = self._encode(event, self.sent)
        if payload is not None and event is not HEARTBEAT:
            self._counted += 1
        return payload

    async def send(self, events: Iterable[Event]) -> None:
        """Writes `events` from the client's own task (markers, the replay, a reply)."""
        payloads = [p for p in map(self._take, events) if p is not None]
        for payload in self._merge(payloads) if payloads else ():
            await self.write(payload)

    async def write(self, payload: P) -> None:
        """Writes one payload from the client's own task; a stuck write can be cut (see _closing)."""
        self._writing = True
        try:
            pending = self._write(payload)
            if pending is not None:
                await pending
        finally:
            self._writing = False

    async def run(self, max_seconds: float = 0) -> End:
        """Delivers live events until the subscription ends; returns why it ended."""
        sub = self._sub
        self._task = asyncio.current_task()
        timer = asyncio.get_running_loop().call_later(max_seconds, sub.close, End.EXPIRED) if max_seconds else None
        sub.listen(self._offer, self._closing, self if self._frame is not None else None)
        try:
            while True:
                batch = await sub.get()
                if self._pending is not None:
                    await self._finish_pending()  # before the batch, which came after it
                if batch:
                    await self.send(batch)
        except Closed as closed:
            return closed.reason
        except asyncio.CancelledError:
            if not self._cut:
                # Cancelled from outside (the server stopping): this stream ends, the client resumes.
                sub.close(End.SHUTDOWN)
            if self._task is not None:
                self._task.uncancel()
            return sub.reason
        except Exception as exc:
            sub.close(_failed(exc))
            return sub.reason
        finally:
            sub.listen(None, None)
            if timer is not None:
                timer.cancel()
            pending, self._pending = self._pending, None
            if isinstance(pending, eager.Rest):
                pending.close()

    def _offer(self, event: Event) -> bool:
        """Runs in the hub's task: writes `event` at once if the client is idle. The hot path of
        every delivery, so `_take` is written out here."""
        if self._writing or self._pending is not None:
            return False
        key = event.key
        sent = self.sent
        if key is not None:
            room = event.room
            if key <= sent[room]:
                return True
            sent[room] = key
        payload = self._encode(event, sent)
        if payload is None:
            return True
        if event is not HEARTBEAT:
            self._counted += 1
        try:
            written = self._write(payload)
            pending = eager.start(written) if written is not None else None
        except Exception as exc:
            self._sub.close(_failed(exc))
            return True
        if pending is not None:
            # The socket is full: the client's own task finishes this write, then the queue.
            self._pending = pending
            self._sub.wake()
        return True

    async def _finish_pending(self) -> None:
        pending = self._pending
        self._writing = True
        try:
            if pending is not None:
                await pending
        finally:
            self._pending = None
            self._writing = False

    def _closing(self, reason: End) -> None:
        """The subscription ended: a write stuck on the client's socket is cut short."""
        task = self._task
        if (self._writing or self._pending is not None) and task is not None and task is not asyncio.current_task():
            self._cut = True
            task.cancel()
