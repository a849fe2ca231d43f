"""The WebSocket route over a real socket: events, sending with ack, resume, errors."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable

import httpx
import pytest
import redis
import websockets

from api.broker import keys
from tests.conftest import LiveServer
from tests.helpers import eventually, hub_listening, session


def ws_url(server: LiveServer, room: str = "general", query: str = "") -> str:
    return server.url.replace("http://", "ws://") + f"/api/rooms/{room}/ws" + query


async def recv(ws: websockets.ClientConnection, skip: tuple[str, ...] = ("presence",)) -> dict[str, object]:
    """The next frame that is not of a skipped type (presence frames come and go with sockets)."""
    async with asyncio.timeout(10):
        while True:
            frame: dict[str, object] = json.loads(await ws.recv(decode=True))
            if frame["type"] not in skip:
                return frame


async def test_send_gets_ack_and_every_socket_gets_the_message(live_server: LiveServer) -> None:
    auth = session(live_server.url, "ada")
    async with (
        websockets.connect(ws_url(live_server), additional_headers=auth) as a,
        websockets.connect(ws_url(live_server)) as b,
    ):
        assert (await recv(a))["type"] == "ready"
        assert (await recv(b))["type"] == "ready"
        await a.send(json.dumps({"type": "message", "text": "hi", "client_id": "k1", "user": "mallory"}))
        frames = [await recv(a), await recv(a)]
        ack = next(f for f in frames if f["type"] == "ack")
        message = next(f for f in frames if f["type"] == "message")
        assert ack["client_id"] == "k1" and ack["id"] == message["id"]
        assert message["text"] == "hi" and message["user"] == "ada"
        assert await recv(b) == message
        # A retry with the same client_id is acknowledged with the first message and not delivered again.
        await a.send(json.dumps({"type": "message", "text": "hi", "client_id": "k1"}))
        again = await recv(a)
        assert again["type"] == "ack" and again["id"] == message["id"]
        assert {"type": "message", **again["message"]} == message  # type: ignore[dict-item]
        # The next message is the marker: a second delivery of the first would come before it.
        await a.send(json.dumps({"type": "message", "text": "next", "client_id": "k2"}))
        after = [await recv(a), await recv(a)]
        assert sorted((f["type"], f["client_id"] if f["type"] == "ack" else f["text"]) for f in after) == [
            ("ack", "k2"),
            ("message", "next"),
        ]
        following = await recv(b)
        assert (following["type"], following["text"]) == ("message", "next")
    history = httpx.get(live_server.url + "/api/rooms/general/messages").json()["messages"]
    assert [m["text"] for m in history] == ["hi", "next"]


async def test_http_messages_reach_sockets_and_resume_works(live_server: LiveServer) -> None:
    sent = [
        httpx.post(
            live_server.url + "/api/rooms/general/messages",
            json={"text": f"m{i}"},
            headers=session(live_server.url, "ada"),
        ).json()
        for i in range(3)
    ]
    async with websockets.connect(ws_url(live_server, query=f"?last_event_id={sent[0]['id']}")) as ws:
        replayed = [await recv(ws), await recv(ws)]
        assert [f["id"] for f in replayed] == [sent[1]["id"], sent[2]["id"]]
        assert all(f["type"] == "message" for f in replayed)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("not json", "invalid_json"),
        ("[" * 20000, "invalid_json"),
        (json.dumps({"type": "dance"}), "invalid_frame"),
        (json.dumps({"type": "message", "text": ""}), "empty_message"),
        (json.dumps({"type": "message", "text": "x" * 5000}), "message_too_long"),
        (json.dumps({"type": "message", "text": "hi \ud800"}), "invalid_encoding"),
        (json.dumps({"type": "message", "text": "nul \x00"}), "control_character"),
        (json.dumps({"type": "message", "text": "x", "client_id": "\ud800"}), "invalid_client_id"),
    ],
)
async def test_bad_frames_get_an_error_frame_and_the_socket_stays_open(
    live_server: LiveServer, payload: str, code: str
) -> None:
    async with websockets.connect(ws_url(live_server), additional_headers=session(live_server.url, "ada")) as ws:
        await recv(ws)
        await ws.send(payload)
        error = await recv(ws)
        assert error["type"] == "error" and error["code"] == code and error["message"]
        await ws.send(json.dumps({"type": "message", "text": "still here"}))
        assert {(await recv(ws))["type"], (await recv(ws))["type"]} == {"ack", "message"}
    assert len(httpx.get(live_server.url + "/api/rooms/general/messages").json()["messages"]) == 1


async def test_sending_without_signing_in_is_refused(live_server: LiveServer) -> None:
    async with websockets.connect(ws_url(live_server)) as ws:
        await recv(ws)
        await ws.send(json.dumps({"type": "message", "text": "who am I"}))
        error = await recv(ws)
        assert error["type"] == "error" and error["code"] == "sign_in_required"
    assert httpx.get(live_server.url + "/api/rooms/general/messages").json()["messages"] == []


async def test_bad_room_or_cursor_closes_with_policy_code(live_server: LiveServer) -> None:
    for url in (ws_url(live_server, room="Bad!"), ws_url(live_server, query="?last_event_id=zz")):
        async with websockets.connect(url) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        assert "invalid" in closed.value.rcvd.reason or "stream id" in closed.value.rcvd.reason


async def test_the_cookie_sends_over_a_socket_only_from_this_sites_own_pages(live_server: LiveServer) -> None:
    signed = httpx.post(live_server.url + "/api/session", json={"name": "cookie-ws"})
    cookie = {"Cookie": f"chat_token={signed.cookies['chat_token']}"}
    host = live_server.url.removeprefix("http://")
    own = {**cookie, "Origin": f"http://{host}"}
    async with websockets.connect(ws_url(live_server), additional_headers=own) as sock:
        assert (await recv(sock))["type"] == "ready"
        await sock.send(json.dumps({"type": "message", "text": "from my own page", "client_id": "o1"}))
        ack = await recv(sock, skip=("presence", "message"))
        assert ack["type"] == "ack" and ack["client_id"] == "o1"
    hijack = {**cookie, "Origin": "http://evil.example"}
    async with websockets.connect(ws_url(live_server), additional_headers=hijack) as sock:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await sock.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert "cross_origin" in closed.value.rcvd.reason


async def test_a_binary_frame_closes_with_unsupported_data(live_server: LiveServer) -> None:
    async with websockets.connect(ws_url(live_server), additional_headers=session(live_server.url, "ada")) as ws:
        await recv(ws)
        await ws.send(b'{"type": "message", "text": "bytes"}')
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await recv(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003
    assert "text" in closed.value.rcvd.reason
    assert httpx.get(live_server.url + "/api/rooms/general/messages").json()["messages"] == []


async def test_typing_and_read_receipts_over_the_socket(live_server: LiveServer) -> None:
    bob = session(live_server.url, "bob")
    sent = [
        httpx.post(live_server.url + "/api/rooms/general/messages", json={"text": f"m{i}"}, headers=bob).json()
        for i in range(2)
    ]
    ada_auth = session(live_server.url, "ada")
    ada_id = httpx.get(live_server.url + "/api/session", headers=ada_auth).json()["user_id"]
    async with (
        websockets.connect(ws_url(live_server), additional_headers=ada_auth) as ada,
        websockets.connect(ws_url(live_server)) as watcher,
    ):
        assert (await recv(ada))["type"] == "ready" and (await recv(watcher))["type"] == "ready"
        await hub_listening(live_server.url)
        await ada.send(json.dumps({"type": "typing"}))
        typing = await recv(watcher)
        assert typing == {"type": "typing", "room": "general", "user_id": ada_id, "user": "ada", "expires_in_ms": 5000}
        await ada.send(json.dumps({"type": "read", "id": sent[0]["id"]}))
        read = await recv(watcher)
        position = {"user_id": ada_id, "user": "ada", "id": sent[0]["id"], "n": 1, "room": "general"}
        assert read == {"type": "read", **position}
        await ada.send(json.dumps({"type": "read", "id": "nope"}))
        error = await recv(ada, skip=("presence", "typing", "read"))  # she hears her own signals too
        assert error["type"] == "error" and error["code"] == "invalid_cursor"
    reads = httpx.get(live_server.url + "/api/rooms/general/reads").json()["reads"]
    assert position in reads


async def test_resume_from_a_trimmed_id_gets_reset(live_server: LiveServer, redis_sync: redis.Redis) -> None:
    auth = session(live_server.url, "ada")
    ids = [
        httpx.post(live_server.url + "/api/rooms/general/messages", json={"text": f"m{i}"}, headers=auth).json()["id"]
        for i in range(4)
    ]
    redis_sync.xtrim(keys.stream("general"), maxlen=2, approximate=False)
    async with websockets.connect(ws_url(live_server, query=f"?last_event_id={ids[0]}")) as ws:
        reset = await recv(ws)
    assert reset == {"type": "reset", "room": "general", "id": ids[3], "oldest": ids[2], "requested": ids[0]}


async def test_slow_socket_is_dropped_without_holding_up_others(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(client_queue_size="8", max_message_chars="250000", max_body_bytes="300000")
    # The slow client's socket has a small receive buffer, and it stops reading after `ready`: its
    # library buffers at most one frame before it stops taking data off the socket. No compression,
    # or the messages below would shrink to almost nothing on the wire.
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    fast_ids: list[str] = []

    async def read_all(ws: websockets.ClientConnection) -> None:
        async for frame in ws:
            event = json.loads(frame)
            if event["type"] == "message":
                fast_ids.append(event["id"])

    async with (
        websockets.connect(ws_url(server), sock=raw, max_queue=1, max_size=None, compression=None) as slow,
        websockets.connect(ws_url(server), max_size=None) as fast,
    ):
        assert (await recv(slow))["type"] == "ready" and (await recv(fast))["type"] == "ready"
        reader = asyncio.create_task(read_all(fast))
        text = "x" * 250_000  # 10 MB: enough to fill the socket buffers (4 MB at most), then the queue
        async with httpx.AsyncClient(headers=session(server.url, "ada")) as client:
            sent = [
                (await client.post(server.url + "/api/rooms/general/messages", json={"text": text})).json()["id"]
                for _ in range(40)
            ]
        await eventually(lambda: len(fast_ids) >= len(sent), timeout=20, what="every message at the fast socket")
        reader.cancel()
        assert fast_ids == sent
        # The slow one was cut: told to try again later, after fewer messages than were sent.
        received = 0
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                received += (await recv(slow))["type"] == "message"
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013, closed.value
        assert 0 < received < len(sent)
