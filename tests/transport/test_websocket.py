"""The WebSocket route over a real socket: events, sending with ack, resume, errors."""

from __future__ import annotations

import json

import httpx
import pytest
import websockets

from tests.conftest import LiveServer
from tests.helpers import session


def ws_url(server: LiveServer, room: str = "general", query: str = "") -> str:
    return server.url.replace("http://", "ws://") + f"/api/rooms/{room}/ws" + query


async def recv(ws: websockets.ClientConnection, skip: tuple[str, ...] = ("presence",)) -> dict[str, object]:
    """The next frame that is not of a skipped type (presence frames come and go with sockets)."""
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
    history = httpx.get(live_server.url + "/api/rooms/general/messages").json()["messages"]
    assert [m["id"] for m in history] == [message["id"]]


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
