"""The process's metrics, in a registry of its own per app (made in the lifespan, never global).

What happens per request (a send, a stream's end) is counted with prometheus-client at once.
What happens per delivery is not: each open stream keeps a plain int (`Counted.delivered`), and
the scrape adds up the ended streams' totals and the open ones' counts, so the delivery path
never calls into prometheus-client. Redis errors are plain ints too, here and in the broker
objects that catch their own (read at scrape time through `elsewhere`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

TRANSPORTS = ("sse", "websocket")
SEND_RESULTS = (
    "sent",
    "replayed",
    "rate_limited",
    "not_a_member",
    "session_ended",
    "invalid",
    "unavailable",
    "error",
)
SEND_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Counted(Protocol):
    """An open stream: how many events it has been sent so far."""

    @property
    def delivered(self) -> int: ...


class Metrics:
    def __init__(self, stream_end_reasons: Iterable[str], elsewhere: Callable[[], int] = lambda: 0) -> None:
        """`stream_end_reasons` are shown at 0 before they happen; `elsewhere` counts the Redis
        errors caught by objects that do not know this one."""
        self.registry = registry = CollectorRegistry()
        self.redis_errors = 0
        self._elsewhere = elsewhere
        self._open: dict[str, set[Counted]] = {t: set() for t in TRANSPORTS}
        self._delivered_ended = dict.fromkeys(TRANSPORTS, 0)
        self._sends = Counter(
            "chat_messages_sent", "Messages sent (HTTP and WebSocket), by result.", ["result"], registry=registry
        )
        self._send_seconds = Histogram(
            "chat_send_seconds", "Time to store and publish a message.", buckets=SEND_BUCKETS, registry=registry
        )
        self._ends = Counter("chat_stream_ends", "Streams ended, by reason.", ["reason"], registry=registry)
        self._slow = Counter(
            "chat_slow_clients_dropped", "Clients cut for reading too slowly (they resume by id).", registry=registry
        )
        # Each label's child found once: a send counts itself without the labels' lookup.
        self._sends_by_result = {result: self._sends.labels(result) for result in SEND_RESULTS}
        for reason in stream_end_reasons:
            self._ends.labels(reason)
        registry.register(_Scraped(self))
        ProcessCollector(registry=registry)

    def redis_error(self) -> None:
        self.redis_errors += 1

    def send(self, result: str, seconds: float | None) -> None:
        """One send attempt; `seconds` when it reached the store."""
        counter = self._sends_by_result.get(result)
        (counter if counter is not None else self._sends.labels(result)).inc()
        if seconds is not None:
            self._send_seconds.observe(seconds)

    def stream_opened(self, transport: str, stream: Counted) -> None:
        self._open[transport].add(stream)

    def stream_ended(self, transport: str, stream: Counted, reason: str, slow: bool) -> None:
        """Moves the stream's count into the ended total (atomically: the counter never goes back)."""
        self._open[transport].discard(stream)
        self._delivered_ended[transport] += stream.delivered
        self._ends.labels(reason).inc()
        if slow:
            self._slow.inc()

    def clients(self, transport: str) -> int:
        return len(self._open[transport])

    def deliveries(self, transport: str) -> int:
        return self._delivered_ended[transport] + sum(stream.delivered for stream in self._open[transport])

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The body and its content type: Prometheus text, or OpenMetrics when `accept` asks for it.
        Run it on the event loop: it reads the open streams."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


class _Scraped(Collector):
    """What is read when scraped rather than counted as it happens."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        m = self._metrics
        deliveries = CounterMetricFamily(
            "chat_deliveries", "Events written to clients' streams, by transport.", labels=["transport"]
        )
        clients = GaugeMetricFamily("chat_clients", "Open streams, by transport.", labels=["transport"])
        for transport in TRANSPORTS:
            deliveries.add_metric([transport], m.deliveries(transport))
            clients.add_metric([transport], m.clients(transport))
        yield deliveries
        yield clients
        yield CounterMetricFamily(
            "chat_redis_errors", "Redis calls that failed or timed out.", value=m.redis_errors + m._elsewhere()
        )
