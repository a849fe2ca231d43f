"""Access holds for the life of a stream; a person is an account id, not a name."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from tests.conftest import LiveServer
from tests.helpers import Frame, parse_frames, session, wait_until


def url(server: LiveServer, path: str) -> str:
    return server.url + path


def post(server: LiveServer, room: str, text: str, auth: dict[str, str]) -> httpx.Response:
    return httpx.post(url(server, f"/api/rooms/{room}/messages"), json={"text": text}, headers=auth)


class Reader:
    """Reads one SSE stream to its end in the background."""

    def __init__(self, server: LiveServer, path: str, headers: dict[str, str] | None = None) -> None:
        self.frames: list[Frame] = []
        self.ready = asyncio.Event()
        self.ended = asyncio.Event()
        self.task = asyncio.create_task(self._run(url(server, path), headers or {}))

    async def _run(self, address: str, headers: dict[str, str]) -> None:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=30)) as client:
            async with client.stream("GET", address, headers=headers) as response:
                assert response.status_code == 200
                buffer = ""
                async for text in response.aiter_text():
                    frames, buffer = parse_frames(buffer + text)
                    self.frames += frames
                    if any(f.event == "ready" for f in self.frames):
                        self.ready.set()
        self.ended.set()

    def kinds(self) -> list[str]:
        return [f.event for f in self.frames if f.event not in ("presence", "ready")]

    def texts(self) -> list[str]:
        return [str(f.json()["text"]) for f in self.frames if f.event == "message"]

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def until(condition: object, what: str, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def test_streams_opened_before_a_room_is_created_private_stop_reading_it(live_server: LiveServer) -> None:
    ada = session(live_server.url, "ada")
    single = Reader(live_server, "/api/rooms/future-secret/events")
    multi = Reader(live_server, "/api/events?rooms=general,future-secret")
    ws_address = live_server.url.replace("http", "ws") + "/api/rooms/future-secret/ws"
    async with websockets.connect(ws_address) as sock:
        assert json.loads(await sock.recv())["type"] == "ready"
        await asyncio.wait_for(asyncio.gather(single.ready.wait(), multi.ready.wait()), 10)
        created = httpx.post(
            url(live_server, "/api/rooms"), json={"name": "future-secret", "private": True}, headers=ada
        )
        assert created.status_code == 201
        assert post(live_server, "future-secret", "members only", ada).status_code == 201
        assert post(live_server, "general", "for everyone", ada).status_code == 201
        frames = []
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                frames.append(json.loads(await asyncio.wait_for(sock.recv(), 10)))
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        assert [f for f in frames if f["type"] == "access"] == [
            {"type": "access", "room": "future-secret", "readable": False}
        ]
        assert not any(f.get("text") == "members only" for f in frames)
    await asyncio.wait_for(single.ended.wait(), 10)
    assert single.kinds() == ["access"] and single.frames[-1].json() == {"room": "future-secret", "readable": False}
    await until(lambda: "for everyone" in multi.texts(), "the multi-room stream goes on")
    assert "members only" not in multi.texts()
    assert multi.kinds()[0] == "access" and not multi.ended.is_set()
    await multi.close()


async def test_a_removed_member_stops_reading_at_once_and_anyone_may_leave(live_server: LiveServer) -> None:
    ada, bob, eve = (session(live_server.url, n) for n in ("ada", "bob", "eve"))
    body = {"name": "crew", "private": True, "members": ["bob", "eve"]}
    assert httpx.post(url(live_server, "/api/rooms"), json=body, headers=ada).status_code == 201
    lobby = Reader(live_server, "/api/rooms/general/events", session(live_server.url, "cid"))
    await asyncio.wait_for(lobby.ready.wait(), 10)
    cid = session(live_server.url, "cid")
    assert httpx.post(url(live_server, "/api/rooms/crew/members"), json={"name": "cid"}, headers=eve).status_code == 201
    await until(lambda: "membership" in lobby.kinds(), "a new member's own streams hear of it")
    assert [f.json() for f in lobby.frames if f.event == "membership"] == [{"room": "crew", "member": True}]
    await lobby.close()
    assert httpx.get(url(live_server, "/api/rooms/crew/messages"), headers=cid).status_code == 200
    reader = Reader(live_server, "/api/rooms/crew/events", bob)
    await asyncio.wait_for(reader.ready.wait(), 10)
    assert httpx.delete(url(live_server, "/api/rooms/crew/members/ada"), headers=eve).status_code == 403
    assert httpx.delete(url(live_server, "/api/rooms/crew/members/bob"), headers=ada).status_code == 204
    await asyncio.wait_for(reader.ended.wait(), 10)
    assert reader.kinds() == ["access"]
    assert post(live_server, "crew", "after", bob).status_code == 403
    assert httpx.get(url(live_server, "/api/rooms/crew/messages"), headers=bob).status_code == 403
    assert httpx.delete(url(live_server, "/api/rooms/crew/members/bob"), headers=ada).status_code == 404
    assert httpx.delete(url(live_server, "/api/rooms/crew/members/eve"), headers=eve).status_code == 204
    assert httpx.delete(url(live_server, "/api/rooms/crew/members/nobody-here"), headers=ada).status_code == 404
    assert httpx.post(url(live_server, "/api/rooms"), json={"name": "open"}, headers=ada).status_code == 201
    assert httpx.delete(url(live_server, "/api/rooms/open/members/ada"), headers=ada).status_code == 400
    members = httpx.get(url(live_server, "/api/rooms/crew/members"), headers=ada).json()
    assert members["members"] == ["ada", "cid"] and members["people"][0]["name"] == "ada"


async def test_an_admin_may_remove_members(server_factory) -> None:
    server = server_factory(chat_admins="Root-Of-Trust")
    owner, member = session(server.url, "olga"), session(server.url, "member")
    admin = httpx.post(url(server, "/api/session"), json={"name": "root-of-trust", "password": "long enough!"})
    assert admin.status_code == 201
    by_admin = {"Authorization": f"Bearer {admin.json()['token']}"}
    body = {"name": "club", "private": True, "members": ["member"]}
    assert httpx.post(url(server, "/api/rooms"), json=body, headers=owner).status_code == 201
    assert httpx.delete(url(server, "/api/rooms/club/members/member"), headers=by_admin).status_code == 204
    assert post(server, "club", "still here?", member).status_code == 403


def test_a_person_is_an_account_not_a_name(live_server: LiveServer) -> None:
    ada = session(live_server.url, "ada")
    bob_session = httpx.post(url(live_server, "/api/session"), json={"name": "bob"})
    bob = {"Authorization": f"Bearer {bob_session.json()['token']}"}
    body = {"name": "secret", "private": True, "members": ["bob"]}
    assert httpx.post(url(live_server, "/api/rooms"), json=body, headers=ada).status_code == 201
    nobody = httpx.post(url(live_server, "/api/rooms/secret/members"), json={"name": "ghost"}, headers=ada)
    assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "no_such_user"
    assert httpx.get(url(live_server, "/api/rooms/secret/messages"), headers=bob).status_code == 200

    assert httpx.delete(url(live_server, "/api/session"), headers=bob).status_code == 204
    for method, path in (
        ("GET", "/api/rooms/secret/messages"),
        ("GET", "/api/rooms/secret/members"),
        ("POST", "/api/rooms/secret/typing"),
        ("POST", "/api/rooms/secret/messages"),
    ):
        r = httpx.request(method, url(live_server, path), headers=bob, json={"text": "x"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "session_ended", (method, path)

    new_bob = httpx.post(url(live_server, "/api/session"), json={"name": "Bob"})
    assert new_bob.status_code == 201 and new_bob.json()["user_id"] != bob_session.json()["user_id"]
    again = {"Authorization": f"Bearer {new_bob.json()['token']}"}
    assert httpx.get(url(live_server, "/api/rooms/secret/messages"), headers=again).status_code == 403
    assert "secret" not in [r["name"] for r in httpx.get(url(live_server, "/api/rooms"), headers=again).json()["rooms"]]
    assert httpx.get(url(live_server, "/api/rooms/secret/members"), headers=ada).json()["members"] == ["ada"]


def test_renaming_keeps_the_account_and_frees_the_old_name(live_server: LiveServer) -> None:
    first = httpx.post(url(live_server, "/api/session"), json={"name": "grace"}).json()
    auth = {"Authorization": f"Bearer {first['token']}"}
    before = post(live_server, "general", "as grace", auth).json()
    renamed = httpx.patch(url(live_server, "/api/session"), json={"name": "Hopper"}, headers=auth)
    assert renamed.status_code == 200 and renamed.json()["user_id"] == first["user_id"]
    after = post(live_server, "general", "as hopper", auth).json()
    assert before["user_id"] == after["user_id"] == first["user_id"]
    assert (before["user"], after["user"]) == ("grace", "Hopper")
    me = httpx.get(url(live_server, "/api/session"), headers=auth).json()
    assert me == {"user_id": first["user_id"], "name": "Hopper", "kind": "guest"}
    other = httpx.post(url(live_server, "/api/session"), json={"name": "grace"})
    assert other.status_code == 201 and other.json()["user_id"] != first["user_id"]
    taken = httpx.patch(url(live_server, "/api/session"), json={"name": "GRACE"}, headers=auth)
    assert taken.status_code == 409


async def test_signing_out_ends_that_sessions_streams_and_only_that_session(live_server: LiveServer) -> None:
    one = httpx.post(url(live_server, "/api/session"), json={"name": "dana", "password": "long enough!"}).json()
    two = httpx.post(url(live_server, "/api/session"), json={"name": "dana", "password": "long enough!"}).json()
    first, second = ({"Authorization": f"Bearer {s['token']}"} for s in (one, two))
    ended, going = (
        Reader(live_server, "/api/rooms/general/events", first),
        Reader(live_server, "/api/rooms/general/events", second),
    )
    await asyncio.wait_for(asyncio.gather(ended.ready.wait(), going.ready.wait()), 10)
    assert httpx.delete(url(live_server, "/api/session"), headers=first).status_code == 204
    await asyncio.wait_for(ended.ended.wait(), 10)
    assert post(live_server, "general", "still me", second).status_code == 201
    await until(lambda: "still me" in going.texts(), "the other session's stream goes on")
    assert post(live_server, "general", "not me", first).status_code == 401
    await going.close()


def test_a_refused_stream_leaves_nothing_subscribed(live_server: LiveServer) -> None:
    owner = session(live_server.url, "rhea")
    created = httpx.post(url(live_server, "/api/rooms"), json={"name": "vault", "private": True}, headers=owner)
    assert created.status_code == 201, created.text
    stranger = session(live_server.url, "sven")
    for path in ("/api/rooms/vault/events", "/api/events?rooms=vault,general"):
        refused = httpx.get(url(live_server, path), headers=stranger, timeout=10)
        assert refused.status_code == 403, (path, refused.text)
    # The subscription made before the access check is gone again: no client is counted (once
    # the shared server has also seen earlier tests' streams close).
    wait_until(lambda: httpx.get(url(live_server, "/api/health")).json()["clients"] == 0, what="no clients")


async def test_a_stream_of_an_ended_session_hears_nothing_of_that_account(live_server: LiveServer) -> None:
    ada = session(live_server.url, "ada")

    def sign_in() -> dict[str, str]:
        r = httpx.post(url(live_server, "/api/session"), json={"name": "dan", "password": "long enough!"})
        assert r.status_code in (200, 201), r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    ended, alive = sign_in(), sign_in()
    assert httpx.delete(url(live_server, "/api/session"), headers=ended).status_code == 204
    stale = Reader(live_server, "/api/rooms/general/events", ended)  # reads as anonymous
    own = Reader(live_server, "/api/rooms/general/events", alive)
    await asyncio.wait_for(asyncio.gather(stale.ready.wait(), own.ready.wait()), 10)
    body = {"name": "den", "private": True, "members": ["dan"]}
    assert httpx.post(url(live_server, "/api/rooms"), json=body, headers=ada).status_code == 201
    await until(lambda: "membership" in own.kinds(), "the live session hears of it")
    # Published after the membership event, so the stale stream gets it after that one, if at all.
    assert post(live_server, "general", "later", ada).status_code == 201
    await until(lambda: "later" in stale.texts(), "the stale stream reads on as anonymous")
    assert stale.kinds() == ["message"]
    await asyncio.gather(stale.close(), own.close())
