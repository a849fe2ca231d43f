"""An open stream as an operator sees it: one of its transport's clients while it is open; then
its end, counted by reason and logged once with how long it lasted and how many events it was sent."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import Any

from starlette.websockets import WebSocketDisconnect

from api.broker.subscription import End
from api.observability.logs import fields
from api.observability.metrics import Metrics
from api.transport.delivery import Delivery

logger = logging.getLogger("api.streams")


class Tracked:
    """Counted as open from its creation until `close()`."""

    __slots__ = ("_closed", "_delivery", "_metrics", "_started", "_transport", "reason")

    def __init__(self, metrics: Metrics, transport: str, delivery: Delivery[Any]) -> None:
        self._metrics = metrics
        self._transport = transport
        self._delivery = delivery
        self._started = time.perf_counter()
        self._closed = False
        self.reason: End | None = None  # set by the transport; else told by how it ended
        metrics.stream_opened(transport, delivery)

    def close(self) -> None:
        """Counts and logs the end, once; without a reason set, from the exception being handled
        (the client gone, the server stopping, anything else an error), else DONE."""
        if self._closed:
            return
        self._closed = True
        reason = self.reason
        if reason is None:
            reason = _reason(sys.exc_info()[1])
        delivery = self._delivery
        self._metrics.stream_ended(self._transport, delivery, reason.value, slow=reason is End.SLOW)
        line = fields(
            transport=self._transport,
            rooms=",".join(delivery.rooms),
            reason=reason.value,
            duration_s=round(time.perf_counter() - self._started, 3),
            events=delivery.delivered,
        )
        logger.info("stream end", extra=line)


def _reason(exc: BaseException | None) -> End:
    if exc is None:
        return End.DONE
    if isinstance(exc, WebSocketDisconnect):
        return End.DISCONNECTED
    return End.SHUTDOWN if isinstance(exc, asyncio.CancelledError) else End.ERROR
