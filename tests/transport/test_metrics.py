"""GET /api/metrics: the contract's series, sends by result, who may read it, one registry per
app, Redis errors; then a real server's clients, deliveries and stream ends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from scripts.embedded_redis import RedisServer
from tests.conftest import LiveServer, bearer, make_settings, sign_in
from tests.helpers import ResumingSSE, cancel, eventually

SECRET = "s" * 40
SERIES = (
    "chat_messages_sent_total",
    "chat_deliveries_total",
    "chat_clients",
    "chat_slow_clients_dropped_total",
    "chat_redis_errors_total",
    "chat_send_seconds_count",
    "chat_send_seconds_bucket",
    "chat_stream_ends_total",
)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def scrape(client: TestClient | str, headers: dict[str, str] | None = None) -> Samples:
    get = client.get if isinstance(client, TestClient) else httpx.Client(base_url=client).get
    r = get("/api/metrics", headers=headers or {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    return parse(r.text)


@pytest.fixture
def app_client(redis_url: str) -> Iterator[Callable[..., TestClient]]:
    """Apps with settings of their own, lifespan run; all closed after the test."""
    opened: list[TestClient] = []

    def make(**settings: object) -> TestClient:
        c = TestClient(create_app(make_settings(redis_url, **settings)))
        opened.append(c.__enter__())
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)


def test_every_series_of_the_contract_is_there_from_the_start(client: TestClient) -> None:
    names = {name for name, _ in scrape(client)}
    assert set(SERIES) <= names
    assert "process_resident_memory_bytes" in names
    r = client.get("/api/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert r.headers["content-type"].startswith("application/openmetrics-text") and r.text.endswith("# EOF\n")


def test_sends_are_counted_by_result_and_timed_once_they_reach_the_store(
    app_client: Callable[..., TestClient],
) -> None:
    client = app_client(send_rate_count=2)
    auth = sign_in(client, "ada")
    assert client.post("/api/rooms/r/messages", json={"text": "a", "client_id": "k"}, headers=auth).status_code == 201
    assert client.post("/api/rooms/r/messages", json={"text": "a", "client_id": "k"}, headers=auth).status_code == 200
    assert client.post("/api/rooms/r/messages", json={"text": " "}, headers=auth).status_code == 422
    assert client.post("/api/rooms/r/messages", json={"text": "b"}, headers=auth).status_code == 201
    assert client.post("/api/rooms/r/messages", json={"text": "c"}, headers=auth).status_code == 429
    samples = scrape(client)
    sent = {result: value(samples, "chat_messages_sent_total", result=result) for result in ("sent", "replayed")}
    assert sent == {"sent": 2, "replayed": 1}
    assert value(samples, "chat_messages_sent_total", result="invalid") == 1
    assert value(samples, "chat_messages_sent_total", result="rate_limited") == 1
    assert value(samples, "chat_send_seconds_count") == 4  # the empty message never reached Redis
    assert value(samples, "chat_send_seconds_bucket", le="+Inf") == 4


def test_each_app_counts_in_a_registry_of_its_own(app_client: Callable[..., TestClient]) -> None:
    one, other = app_client(), app_client()
    assert one.post("/api/rooms/r/messages", json={"text": "a"}, headers=sign_in(one, "ada")).status_code == 201
    assert value(scrape(one), "chat_messages_sent_total", result="sent") == 1
    assert value(scrape(other), "chat_messages_sent_total", result="sent") == 0


def test_a_metrics_token_is_asked_for_when_set(app_client: Callable[..., TestClient]) -> None:
    client = app_client(metrics_token="scrape-me-please")
    for headers in ({}, bearer("wrong-token-value"), {"Authorization": "Basic c2NyYXBlLW1lLXBsZWFzZQ=="}):
        r = client.get("/api/metrics", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["error"]["code"] == "invalid_token"
    assert "chat_clients" in {name for name, _ in scrape(client, bearer("scrape-me-please"))}


def test_in_production_the_route_is_off_without_a_token(app_client: Callable[..., TestClient]) -> None:
    closed = app_client(chat_env="production", chat_secret=SECRET)
    r = closed.get("/api/metrics")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    guarded = app_client(chat_env="production", chat_secret=SECRET, metrics_token="scrape-me-please")
    assert guarded.get("/api/metrics").status_code == 401
    assert scrape(guarded, bearer("scrape-me-please"))


def test_redis_errors_and_unavailable_sends_are_counted(tmp_path: Path) -> None:
    with RedisServer(tmp_path) as redis_server:
        client = TestClient(create_app(make_settings(redis_server.url)))
        with client:
            auth = sign_in(client, "ada")
            before = scrape(client)
            redis_server.stop()
            r = client.post("/api/rooms/r/messages", json={"text": "a"}, headers=auth)
            assert r.status_code == 503
            assert client.get("/api/health").status_code == 503
            after = scrape(client)
    assert value(before, "chat_redis_errors_total") == 0
    assert value(after, "chat_redis_errors_total") == 2  # the send, the health check (no stream: no hub)
    assert value(after, "chat_messages_sent_total", result="unavailable") == 1
    assert value(after, "chat_send_seconds_count") == 1


async def _read_socket(ws: websockets.ClientConnection, frames: list[dict[str, object]]) -> None:
    async for raw in ws:
        frames.append(json.loads(raw))


async def test_clients_deliveries_and_stream_ends_on_a_real_server(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory()
    stop = asyncio.Event()
    readers = [ResumingSSE(server.url + "/api/rooms/general/events") for _ in range(2)]
    tasks = [asyncio.create_task(reader.run(stop)) for reader in readers]
    ws = await websockets.connect(server.url.replace("http", "ws") + "/api/rooms/general/ws")
    ws_frames: list[dict[str, object]] = []
    tasks.append(asyncio.create_task(_read_socket(ws, ws_frames)))
    await eventually(lambda: all(r.events("ready") for r in readers) and bool(ws_frames), what="streams ready")

    samples = scrape(server.url)
    assert value(samples, "chat_clients", transport="sse") == 2
    assert value(samples, "chat_clients", transport="websocket") == 1

    auth = await asyncio.to_thread(sign_in, server.url, "ada")
    async with httpx.AsyncClient(base_url=server.url, headers=auth) as client:
        for i in range(3):
            assert (await client.post("/api/rooms/general/messages", json={"text": f"m{i}"})).status_code == 201
    await eventually(lambda: all(len(r.messages) == 3 for r in readers) and len(ws_frames) == 4, what="deliveries")
    # Each stream was sent its ready event and the three messages, and nothing else.
    samples = scrape(server.url)
    assert value(samples, "chat_deliveries_total", transport="sse") == 8
    assert value(samples, "chat_deliveries_total", transport="websocket") == 4
    ended = value(samples, "chat_stream_ends_total", reason="disconnected")

    await ws.close()
    await cancel(tasks[:1])  # one SSE client goes away
    await eventually(lambda: value(scrape(server.url), "chat_clients", transport="sse") == 1, what="the SSE end")
    await eventually(lambda: value(scrape(server.url), "chat_clients", transport="websocket") == 0, what="WS end")
    samples = scrape(server.url)
    assert value(samples, "chat_stream_ends_total", reason="disconnected") == ended + 2
    # What the ended streams delivered still counts: a counter never goes back.
    assert value(samples, "chat_deliveries_total", transport="sse") == 8
    assert value(samples, "chat_deliveries_total", transport="websocket") == 4
    stop.set()
    await cancel(tasks)
