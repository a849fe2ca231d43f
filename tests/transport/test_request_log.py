"""Request logs and ids: one line per request with its id (taken or made, and returned), one per
stream end; and, on a real server logging everything, no password, token, cookie or secret."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from fastapi.testclient import TestClient

from api.observability.logs import JsonFormatter
from tests.conftest import LiveServer, bearer
from tests.helpers import read_frames

Lines = Callable[[], list[dict[str, object]]]
MADE_ID = re.compile(r"[0-9a-f]{16}")


@pytest.fixture
def lines() -> Iterator[Lines]:
    """The app's log lines in this process, as the JSON format writes them (nothing scrubbed: what
    the app itself leaves out is seen left out)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(str))
    logger = logging.getLogger("api")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_one_line_per_request_under_the_clients_request_id(client: TestClient, lines: Lines) -> None:
    url = "/api/rooms/general/messages?limit=5&token=abc123&key=hunter22&before=9-0"
    r = client.get(url, headers={"X-Request-ID": "trace-42"})
    assert r.headers["x-request-id"] == "trace-42"
    mine = [line for line in lines() if line.get("request_id") == "trace-42"]
    assert len(mine) == 1
    line = mine[0]
    assert line["logger"] == "api.access" and line["message"] == "request" and line["level"] == "INFO"
    assert line["method"] == "GET" and line["status"] == r.status_code
    assert line["path"] == "/api/rooms/general/messages?limit=5&token=[redacted]&key=[redacted]&before=9-0"
    assert isinstance(line["duration_ms"], float) and line["client"] == "testclient"


@pytest.mark.parametrize("given", ["", "has space", "x" * 65, "naïve", "-leading-dash", "a\tb"])
def test_a_request_id_that_does_not_look_like_one_is_replaced(client: TestClient, lines: Lines, given: str) -> None:
    r = client.get("/api/health", headers={"X-Request-ID": given.encode()})
    made = r.headers["x-request-id"]
    assert made != given and MADE_ID.fullmatch(made)
    assert [line["status"] for line in lines() if line.get("request_id") == made] == [200]


def test_made_ids_differ(client: TestClient) -> None:
    made = {client.get("/api/health").headers["x-request-id"] for _ in range(50)}
    assert len(made) == 50 and all(MADE_ID.fullmatch(rid) for rid in made)


def test_errors_are_logged_with_their_status_and_a_made_id(client: TestClient, lines: Lines) -> None:
    r = client.get("/api/nowhere")
    assert r.status_code == 404 and MADE_ID.fullmatch(r.headers["x-request-id"])
    [line] = [line for line in lines() if line.get("request_id") == r.headers["x-request-id"]]
    assert line["status"] == 404 and line["path"] == "/api/nowhere"


PASSWORD = "correct horse battery staple 42"
WRONG_PASSWORD = "not my password at all 7"
CHAT_SECRET = "chat-secret-0123456789-abcdefghij-KLMNOP"
METRICS_TOKEN = "metrics-token-5f2d9c71"


async def test_no_secret_reaches_the_log(server_factory: Callable[..., LiveServer], tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    server = server_factory(
        log=log,
        log_format="json",
        log_level="debug",
        uvicorn_log_level="debug",  # uvicorn's own lines too (its access log would show whole queries)
        chat_secret=CHAT_SECRET,
        metrics_token=METRICS_TOKEN,
    )
    seen: list[str] = []  # every credential that crossed the wire
    async with httpx.AsyncClient(base_url=server.url) as http:
        signed = await http.post("/api/session", json={"name": "grace", "password": PASSWORD})
        assert signed.status_code == 201
        token, cookie = signed.json()["token"], signed.cookies["chat_token"]
        seen += [token, cookie, *token.split(".")[1:]]
        wrong = await http.post("/api/session", json={"name": "grace", "password": WRONG_PASSWORD})
        assert wrong.status_code == 401
        http.cookies.clear()
        auth = bearer(token)
        created = await http.post("/api/rooms", json={"name": "hidden", "private": True}, headers=auth)
        assert created.status_code == 201
        sent = await http.post("/api/rooms/hidden/messages", json={"text": "psst"}, headers=auth)
        assert sent.status_code == 201
        forged = token[:-4] + "AAAA"
        seen.append(forged)
        refused = await http.post("/api/rooms/hidden/messages", json={"text": "x"}, headers=bearer(forged))
        assert refused.status_code == 401
        scraped = await http.get("/api/metrics", headers=bearer(METRICS_TOKEN))
        assert scraped.status_code == 200
        assert (await http.get("/api/metrics", headers=bearer("guessing-" + METRICS_TOKEN))).status_code == 401

    # The cookie reads the private room, over SSE (a token in the query too, as a careless client
    # might) and over a WebSocket, which also sends with it.
    with_cookie = {"Cookie": f"chat_token={cookie}", "X-Request-ID": "sse-1"}
    url = f"{server.url}/api/rooms/hidden/events?last_event_id=0-0&token={token}"
    assert [f.json()["text"] for f in await read_frames(url, 1, with_cookie)] == ["psst"]
    host = server.url.removeprefix("http://")
    ws_headers = {"Cookie": f"chat_token={cookie}", "Origin": f"http://{host}"}
    async with websockets.connect(f"ws://{host}/api/rooms/hidden/ws", additional_headers=ws_headers) as ws:
        await ws.send(json.dumps({"type": "message", "text": "over the socket", "client_id": "w1"}))
        while json.loads(await ws.recv())["type"] != "ack":
            pass
    assert httpx.delete(server.url + "/api/session", headers=auth).status_code == 204
    server.stop()  # every line is written

    text = log.read_text()
    for secret in (PASSWORD, WRONG_PASSWORD, CHAT_SECRET, METRICS_TOKEN, *seen):
        assert secret not in text, f"{secret[:12]}... is in the log"
    for word in PASSWORD.split() + WRONG_PASSWORD.split():
        assert len(word) < 5 or word not in text
    logged = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
    assert any(line["logger"] == "uvicorn.error" and "Started server" in line["message"] for line in logged)
    requests = [line for line in logged if line["message"] == "request"]
    assert {(line["method"], line["status"]) for line in requests} >= {
        ("POST", 201),
        ("POST", 401),
        ("GET", 200),
        ("WS", 101),
        ("DELETE", 204),
    }
    [stream] = [line for line in logged if line["message"] == "stream end" and line.get("request_id") == "sse-1"]
    assert stream["transport"] == "sse" and stream["rooms"] == "hidden" and stream["reason"] == "disconnected"
    assert stream["events"] >= 1 and isinstance(stream["duration_s"], float)
    [sse_request] = [line for line in requests if line.get("request_id") == "sse-1"]
    assert sse_request["path"] == "/api/rooms/hidden/events?last_event_id=0-0&token=[redacted]"
    assert sse_request["client"] == "127.0.0.1"
    # Its id ends with it: the hub's task, started by that request, does not carry it on.
    assert [line.get("request_id") for line in logged[logged.index(sse_request) + 1 :]].count("sse-1") == 0
    [socket_end] = [line for line in logged if line["message"] == "stream end" and line["transport"] == "websocket"]
    assert socket_end["reason"] == "disconnected" and socket_end["events"] >= 2  # ready, the message (and presence)
