"""Rooms: creation, the list, and private rooms on every route and transport."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from fastapi.testclient import TestClient
from websockets.typing import Origin

from tests.conftest import LiveServer, sign_in
from tests.helpers import SSEStream, session


def test_create_and_list_rooms(client: TestClient) -> None:
    r = client.post("/api/rooms", json={"name": "quiet", "topic": "shh"})
    assert r.status_code == 201 and r.json()["topic"] == "shh" and r.json()["created_by"] == "ada"
    assert client.post("/api/rooms", json={"name": "quiet"}).status_code == 409
    client.post("/api/rooms/busy/messages", json={"text": "one"})
    client.post("/api/rooms/busy/messages", json={"text": "two"})
    rooms = client.get("/api/rooms").json()["rooms"]
    assert [r["name"] for r in rooms] == ["busy", "quiet"]
    busy = rooms[0]
    assert busy["message_count"] == 2 and busy["online"] == 0 and busy["private"] is False
    assert busy["last_activity"] >= rooms[1]["last_activity"]
    assert busy["unread"] == 0, "what you sent yourself is read"
    others = client.get("/api/rooms", headers=sign_in(client, "grace")).json()["rooms"]
    assert others[0]["unread"] == 2
    assert client.post("/api/rooms", json={"name": "busy"}).status_code == 409


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "Bad Name"}, 422, "invalid_room"),
        ({"name": "general\n"}, 422, "invalid_room"),
        ({"name": "ok", "topic": "nul\x00"}, 422, "control_character"),
        ({"name": "ok", "topic": "half \ud800"}, 400, "invalid_encoding"),
        ({"name": "ok", "topic": "t" * 201}, 422, "invalid_request"),
        ({"name": "ok", "private": True, "members": ["not valid!"]}, 422, "invalid_name"),
        ({}, 422, "invalid_request"),
    ],
)
def test_bad_room_creation(client: TestClient, body: dict[str, object], status: int, code: str) -> None:
    r = client.post("/api/rooms", content=json.dumps(body), headers={"content-type": "application/json"})
    assert r.status_code == status and r.json()["error"]["code"] == code


def test_creating_a_room_needs_a_token(client: TestClient) -> None:
    r = client.post("/api/rooms", json={"name": "x"}, headers={"Authorization": ""})
    assert r.status_code == 401


def test_private_room_is_for_members_on_every_http_route(client: TestClient) -> None:
    ada = dict(client.headers)
    eve = sign_in(client, "eve")
    bob = sign_in(client, "bob")
    client.cookies.clear()
    r = client.post("/api/rooms", json={"name": "secret", "private": True, "members": ["Bob"]}, headers=ada)
    assert r.status_code == 201 and r.json()["members"] == ["ada", "bob"]
    first = client.post("/api/rooms/secret/messages", json={"text": "for members"}, headers=bob).json()
    anon = {"Authorization": ""}
    for who, status in ((eve, 403), (anon, 401)):
        assert client.get("/api/rooms/secret/messages", headers=who).status_code == status
        assert client.get("/api/rooms/secret/presence", headers=who).status_code == status
        assert client.get("/api/rooms/secret/members", headers=who).status_code == status
        assert (
            client.get("/api/rooms/secret/messages", params={"after": "0", "wait": 1}, headers=who).status_code
            == status
        )
    for path, body in (
        ("messages", {"text": "let me in"}),
        ("typing", {}),
        ("read", {"id": first["id"]}),
        ("members", {"name": "eve"}),
    ):
        r = client.post(f"/api/rooms/secret/{path}", json=body, headers=eve)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["error"]["code"] == "not_a_member"
    assert "secret" not in [r["name"] for r in client.get("/api/rooms", headers=eve).json()["rooms"]]
    assert "secret" in [r["name"] for r in client.get("/api/rooms", headers=bob).json()["rooms"]]
    assert [m["text"] for m in client.get("/api/rooms/secret/messages", headers=bob).json()["messages"]] == [
        "for members"
    ]
    # A member adds eve; now she may read and send.
    assert client.post("/api/rooms/secret/members", json={"name": "Eve"}, headers=bob).status_code == 201
    assert client.post("/api/rooms/secret/messages", json={"text": "thanks"}, headers=eve).status_code == 201


def test_general_cannot_be_made_private(client: TestClient) -> None:
    r = client.post("/api/rooms", json={"name": "general", "private": True})
    assert r.status_code == 409 and r.json()["error"]["code"] == "room_exists"


def test_members_of_public_or_missing_rooms(client: TestClient) -> None:
    client.post("/api/rooms", json={"name": "open"})
    r = client.post("/api/rooms/open/members", json={"name": "x"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "public_room"
    r = client.post("/api/rooms/nowhere/members", json={"name": "x"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_such_room"


async def test_private_room_streams_refuse_non_members(live_server: LiveServer) -> None:
    ada, eve = session(live_server.url, "ada"), session(live_server.url, "eve")
    r = httpx.post(live_server.url + "/api/rooms", json={"name": "vault", "private": True}, headers=ada)
    assert r.status_code == 201
    for url in ("/api/rooms/vault/events", "/api/events?rooms=general,vault"):
        assert httpx.get(live_server.url + url, headers=eve).status_code == 403
        assert httpx.get(live_server.url + url).status_code == 401
    ws = live_server.url.replace("http", "ws") + "/api/rooms/vault/ws"
    for headers in (eve, {}):
        async with websockets.connect(ws, additional_headers=headers) as sock:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await sock.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    async with websockets.connect(ws, additional_headers=ada) as sock:
        assert '"ready"' in str(await sock.recv())


async def test_the_cookie_authenticates_reading_but_never_sending(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as browser:  # keeps the cookie, as a browser does
        made = await browser.post("/api/session", json={"name": "cookie"})
        assert made.status_code == 201 and "chat_token" in browser.cookies
        token = made.json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert (
            await browser.post("/api/rooms", json={"name": "mine", "private": True}, headers=bearer)
        ).status_code == 201
        first = await browser.post("/api/rooms/mine/messages", json={"text": "with the token"}, headers=bearer)
        assert first.status_code == 201

        # Reading her private room with the cookie alone: history, members, and the stream, on
        # which she counts as online (a stream read anonymously would not be let in at all).
        for path in ("/api/rooms/mine/messages", "/api/rooms/mine/members", "/api/rooms/mine/reads"):
            assert (await browser.get(path)).status_code == 200, path
        async with browser.stream("GET", "/api/rooms/mine/events") as stream:
            assert stream.status_code == 200
            assert (await SSEStream(stream).next()).event == "ready"
            presence = await browser.get("/api/rooms/mine/presence")
            assert presence.status_code == 200 and presence.json()["online"] == ["cookie"]
        async with httpx.AsyncClient(base_url=live_server.url) as stranger:
            assert (await stranger.get("/api/rooms/mine/events")).status_code == 401

        # Acting with the cookie alone is refused on every route that acts.
        for path, body in (
            ("/api/rooms/mine/messages", {"text": "by cookie"}),
            ("/api/rooms/general/messages", {"text": "by cookie"}),
            ("/api/rooms/mine/typing", {}),
            ("/api/rooms/mine/read", {"id": first.json()["id"]}),
            ("/api/rooms/mine/members", {"name": "eve"}),
            ("/api/rooms", {"name": "other"}),
        ):
            r = await browser.post(path, json=body)
            assert r.status_code == 401 and r.json()["error"]["code"] == "sign_in_required", (path, r.text)
        assert [m["text"] for m in (await browser.get("/api/rooms/mine/messages")).json()["messages"]] == [
            "with the token"
        ]
        assert (await browser.get("/api/rooms/mine/members")).json()["members"] == ["cookie"]

    # A WebSocket is opened by a browser with the cookie and no header: from the app's own origin
    # it reads and sends as her; from another site's page the cookie is refused.
    ws = live_server.url.replace("http", "ws") + "/api/rooms/mine/ws"
    cookie = {"Cookie": f"chat_token={token}"}
    async with websockets.connect(ws, additional_headers=cookie, origin=Origin(live_server.url)) as sock:
        assert json.loads(await sock.recv())["type"] == "ready"
        await sock.send(json.dumps({"type": "message", "text": "over the socket", "client_id": "s1"}))
        async with asyncio.timeout(10):
            while (frame := json.loads(await sock.recv()))["type"] != "ack":
                assert frame["type"] in ("presence", "message"), frame
        assert frame["message"]["user"] == "cookie"
    async with websockets.connect(ws, additional_headers=cookie, origin=Origin("https://elsewhere.example")) as sock:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await sock.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason.startswith("cross_origin")


async def test_a_stale_cookie_reads_as_anonymous_but_a_bad_header_is_refused(live_server: LiveServer) -> None:
    cookies = {"chat_token": "stale.or.forged"}
    async with httpx.AsyncClient(base_url=live_server.url, cookies=cookies) as browser:
        assert (await browser.get("/api/rooms/general/messages")).status_code == 200
        async with browser.stream("GET", "/api/rooms/general/events") as stream:
            assert stream.status_code == 200
        bad = await browser.get("/api/rooms/general/messages", headers={"Authorization": "Bearer stale"})
        assert bad.status_code == 401
