"""Presence, typing and read receipts across processes, and the multi-room stream."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import websockets
from fastapi.testclient import TestClient

from api.app import create_app
from scripts.embedded_redis import RedisServer
from tests.conftest import LiveServer, make_settings, sign_in
from tests.helpers import ResumingSSE, cancel, eventually, holds_for, hub_listening, read_frames, session, wait_until

FAST_PRESENCE = {"presence_ttl_seconds": "2", "presence_refresh_seconds": "0.3", "presence_grace_seconds": "0.5"}


def online(server: LiveServer, room: str = "general") -> list[str]:
    r = httpx.get(f"{server.url}/api/rooms/{room}/presence")
    assert r.status_code == 200
    names: list[str] = r.json()["online"]
    return names


def presence_of(watcher: ResumingSSE) -> list[tuple[str, str]]:
    return [(str(e["user"]), str(e["action"])) for e in watcher.events("presence")]


async def watch_presence(url: str, seen: list[tuple[str, str]], ready: asyncio.Event) -> None:
    """Collects presence events from a WebSocket, which (unlike an SSE stream with SSE_MAX_SECONDS)
    never ends by itself: no event can fall into a reconnect gap. Returns if the socket closes."""
    async with websockets.connect(url) as ws:
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "ready":
                ready.set()
            elif frame["type"] == "presence":
                seen.append((frame["user"], frame["action"]))


async def test_presence_across_instances_and_a_vanished_server(server_factory: Callable[..., LiveServer]) -> None:
    a, b = server_factory(**FAST_PRESENCE), server_factory(**FAST_PRESENCE)
    # The room exists, so that the room list shows its online count.
    assert httpx.post(a.url + "/api/rooms", json={"name": "general"}, headers=session(a.url, "ada")).status_code == 201
    watcher = ResumingSSE(b.url + "/api/rooms/general/events")
    ada = ResumingSSE(a.url + "/api/rooms/general/events", auth=session(a.url, "ada"))
    bob = ResumingSSE(b.url + "/api/rooms/general/events", auth=session(b.url, "bob"))
    stop = asyncio.Event()
    tasks = [asyncio.create_task(watcher.run(stop))]
    await eventually(lambda: watcher.connections == 1, what="the watcher connected")
    await hub_listening(b.url)
    tasks += [asyncio.create_task(c.run(stop)) for c in (ada, bob)]
    await eventually(lambda: online(a) == ["ada", "bob"] == online(b), what="both online")
    await eventually(lambda: len(watcher.events("presence")) == 2, what="two presence events")
    assert sorted(presence_of(watcher)) == [("ada", "join"), ("bob", "join")]
    for server in (a, b):
        rooms = httpx.get(server.url + "/api/rooms").json()["rooms"]
        assert [(r["name"], r["online"]) for r in rooms] == [("general", 2)]

    # Bob closes his stream: after the grace period, b's sweep says he left.
    await cancel([tasks[2]])
    await eventually(lambda: online(a) == ["ada"], what="bob left")
    # Server a dies with ada connected: nobody says goodbye, expiry and b's sweep do.
    a.kill()
    await eventually(lambda: online(b) == [], timeout=10, what="ada expired")
    await eventually(lambda: ("ada", "leave") in presence_of(watcher), what="ada's leave announced")
    assert [e for e in presence_of(watcher) if e[1] == "leave"] == [("bob", "leave"), ("ada", "leave")]
    await cancel(tasks)


async def test_two_tabs_one_presence(server_factory: Callable[..., LiveServer]) -> None:
    live_server = server_factory(**FAST_PRESENCE)
    url = live_server.url + "/api/rooms/general/events"
    auth = session(live_server.url, "ada")
    watcher = ResumingSSE(url)
    tabs = [ResumingSSE(url, auth=auth), ResumingSSE(url, auth=auth)]
    stop = asyncio.Event()
    watch = asyncio.create_task(watcher.run(stop))
    await eventually(lambda: watcher.connections == 1, what="the watcher connected")
    await hub_listening(live_server.url)
    running = [asyncio.create_task(t.run(stop)) for t in tabs]
    await eventually(lambda: online(live_server) == ["ada"], what="ada online")
    await cancel(running[:1])
    # One tab left: ada stays, past the grace period and the sweeps after it.
    await holds_for(lambda: online(live_server) == ["ada"], 1.0, what="ada online with one tab open")
    await cancel(running[1:])
    await eventually(lambda: online(live_server) == [], what="ada gone with her last tab")
    await eventually(lambda: len(presence_of(watcher)) == 2, what="ada's join and leave")
    # A later event as a marker: any other presence event about ada would have come before it.
    bob = ResumingSSE(url, auth=session(live_server.url, "bob"))
    marker = asyncio.create_task(bob.run(stop))
    await eventually(lambda: len(presence_of(watcher)) == 3, what="bob's join")
    await cancel([watch, marker])
    assert presence_of(watcher) == [("ada", "join"), ("ada", "leave"), ("bob", "join")]


async def test_a_stream_that_ends_and_resumes_is_no_leave_and_join(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(sse_max_seconds="0.5", presence_grace_seconds="1.5", presence_refresh_seconds="0.3")
    url = server.url + "/api/rooms/general/events"
    seen: list[tuple[str, str]] = []
    watching = asyncio.Event()
    ws_url = server.url.replace("http", "ws") + "/api/rooms/general/ws"
    watcher = asyncio.create_task(watch_presence(ws_url, seen, watching))
    await asyncio.wait_for(watching.wait(), 10)
    await hub_listening(server.url)
    ada = ResumingSSE(url, auth=session(server.url, "ada"))
    stop = asyncio.Event()
    tasks = [asyncio.create_task(ada.run(stop))]
    await eventually(lambda: ada.connections >= 4, what="ada's stream ended and resumed three times")
    assert online(server) == ["ada"]
    # A later event as a marker: a leave or join of ada's would have come before it.
    bob = ResumingSSE(url, auth=session(server.url, "bob"))
    tasks.append(asyncio.create_task(bob.run(stop)))
    await eventually(lambda: ("bob", "join") in seen, what="bob's join")
    assert not watcher.done(), "the watcher's socket closed: it may have missed events"
    await cancel([*tasks, watcher])
    assert seen == [("ada", "join"), ("bob", "join")]


async def test_a_connected_guest_stays_online_and_keeps_its_name(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(presence_ttl_seconds="0.6", presence_refresh_seconds="0.15", guest_idle_seconds="1")
    auth = session(server.url, "ada")
    ada = ResumingSSE(server.url + "/api/rooms/general/events", auth=auth)
    stop = asyncio.Event()
    task = asyncio.create_task(ada.run(stop))
    await eventually(lambda: ada.connections == 1 and online(server) == ["ada"], what="ada online")
    # Connected and silent for well past PRESENCE_TTL_SECONDS and GUEST_IDLE_SECONDS: the
    # process's refresh keeps her online, and her guest name hers.
    await holds_for(lambda: online(server) == ["ada"] and ada.connections == 1, 1.5, what="ada online")
    taken = httpx.post(server.url + "/api/session", json={"name": "ada"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "name_taken", taken.text
    sent = httpx.post(server.url + "/api/rooms/general/messages", json={"text": "still me"}, headers=auth)
    assert sent.status_code == 201, sent.text
    await cancel([task])


async def test_typing_is_announced_throttled_and_never_stored(live_server: LiveServer) -> None:
    auth = session(live_server.url, "ada")
    watcher = ResumingSSE(live_server.url + "/api/rooms/general/events")
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    await eventually(lambda: watcher.connections == 1, what="the watcher connected")
    await hub_listening(live_server.url)
    first = httpx.post(live_server.url + "/api/rooms/general/typing", headers=auth)
    second = httpx.post(live_server.url + "/api/rooms/general/typing", headers=auth)
    assert (first.status_code, first.json()["announced"]) == (202, True)
    assert (second.status_code, second.json()["announced"]) == (202, False)
    await eventually(lambda: len(watcher.events("typing")) == 1)
    typing = watcher.events("typing")[0]
    assert typing["user"] == "ada" and typing["expires_in_ms"] == 5000
    assert not any(f.id for f in watcher.frames if f.event == "typing")
    await cancel([task])
    assert httpx.get(live_server.url + "/api/rooms/general/messages").json()["messages"] == []
    assert httpx.post(live_server.url + "/api/rooms/general/typing").status_code == 401


def test_typing_can_be_announced_again_once_the_throttle_is_over(redis_url: str) -> None:
    with TestClient(create_app(make_settings(redis_url, typing_throttle_ms=300))) as c:
        auth = sign_in(c, "ada")

        def announced() -> bool:
            r = c.post("/api/rooms/general/typing", headers=auth)
            assert r.status_code == 202, r.text
            return bool(r.json()["announced"])

        assert announced()
        throttled_since = time.monotonic()
        assert not announced()
        wait_until(announced, timeout=5, what="typing to be announced again")
        assert time.monotonic() - throttled_since >= 0.2, "announced again before TYPING_THROTTLE_MS"


async def test_read_receipts_and_unread_counts(live_server: LiveServer) -> None:
    ada, bob = session(live_server.url, "ada"), session(live_server.url, "bob")
    sent = [
        httpx.post(live_server.url + "/api/rooms/general/messages", json={"text": str(i)}, headers=ada).json()
        for i in range(3)
    ]
    watcher = ResumingSSE(live_server.url + "/api/rooms/general/events")
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    await eventually(lambda: watcher.connections == 1, what="the watcher connected")
    await hub_listening(live_server.url)
    ada_id = sent[0]["user_id"]
    bob_id = httpx.get(live_server.url + "/api/session", headers=bob).json()["user_id"]
    r = httpx.post(live_server.url + "/api/rooms/general/read", json={"id": sent[1]["id"]}, headers=bob)
    assert r.status_code == 200
    assert r.json() == {"user_id": bob_id, "user": "bob", "id": sent[1]["id"], "n": 2, "room": "general"}
    # Reading backwards never moves the position back.
    back = httpx.post(live_server.url + "/api/rooms/general/read", json={"id": sent[0]["id"]}, headers=bob)
    assert back.json()["id"] == sent[1]["id"]
    # A typing event as a marker: a read event for the backward read would have come before it.
    assert httpx.post(live_server.url + "/api/rooms/general/typing", headers=ada).json()["announced"]
    await eventually(lambda: len(watcher.events("typing")) == 1, what="the marker")
    await cancel([task])
    bob_read = {"user_id": bob_id, "user": "bob", "id": sent[1]["id"], "n": 2, "room": "general"}
    assert watcher.events("read") == [bob_read]
    history = httpx.get(live_server.url + "/api/rooms/general/messages").json()
    assert history["reads"] == [
        {"user_id": ada_id, "user": "ada", "id": sent[2]["id"], "n": 3, "room": "general"},  # the sender read her own
        {"user_id": bob_id, "user": "bob", "id": sent[1]["id"], "n": 2, "room": "general"},
    ]
    rooms = httpx.get(live_server.url + "/api/rooms", headers=bob).json()["rooms"]
    assert rooms[0]["unread"] == 1
    for bad, status in (({"id": "1-0"}, 404), ({"id": "nope"}, 422), ({"id": "5"}, 422)):
        assert httpx.post(live_server.url + "/api/rooms/general/read", json=bad, headers=bob).status_code == status


async def test_read_positions_survive_a_restart(tmp_path: Path) -> None:
    redis_server = RedisServer(tmp_path / "redis", persistent=True).start()
    server = LiveServer(redis_server.url, {}).start()
    try:
        ada = session(server.url, "ada")
        sent = httpx.post(server.url + "/api/rooms/general/messages", json={"text": "x"}, headers=ada).json()
        httpx.post(server.url + "/api/rooms/general/read", json={"id": sent["id"]}, headers=ada)
        server.stop()
        redis_server.stop()
        redis_server.start()
        server.start()
        reads = httpx.get(server.url + "/api/rooms/general/messages").json()["reads"]
        assert reads == [{"user_id": sent["user_id"], "user": "ada", "id": sent["id"], "n": 1, "room": "general"}]
        other = session(server.url, "bob")
        assert httpx.get(server.url + "/api/rooms", headers=other).json()["rooms"][0]["unread"] == 1
    finally:
        server.stop()
        redis_server.stop()


async def test_one_stream_for_several_rooms_resumes_every_room(live_server: LiveServer) -> None:
    auth = session(live_server.url, "ada")

    def send(room: str, text: str) -> str:
        r = httpx.post(f"{live_server.url}/api/rooms/{room}/messages", json={"text": text}, headers=auth)
        return str(r.json()["id"])

    a1, b1 = send("a", "a1"), send("b", "b1")
    url = live_server.url + "/api/events?rooms=a,b"
    frames = await read_frames(url + "&last_event_id=a:0,b:0", 2)
    assert [(f.json()["room"], f.json()["text"]) for f in frames] == [("a", "a1"), ("b", "b1")]
    assert frames[-1].id == f"a:{a1},b:{b1}"
    a2, b2, a3 = send("a", "a2"), send("b", "b2"), send("a", "a3")
    resumed = await read_frames(url, 3, headers={"Last-Event-ID": str(frames[-1].id)})
    assert [f.json()["id"] for f in resumed] == [a2, a3, b2]
    assert resumed[-1].id == f"a:{a3},b:{b2}"
    # While one room replays, the id already carries the other room's real position.
    mixed = await read_frames(url, 1, headers={"Last-Event-ID": f"a:{a2},b:{b2}"})
    assert mixed[0].json()["id"] == a3 and mixed[0].id == f"a:{a3},b:{b2}"
    # A fresh stream starts each room at its newest message, told by ready events.
    fresh = await read_frames(url, 2)
    assert [f.event for f in fresh] == ["ready", "ready"] and fresh[-1].id == f"a:{a3},b:{b2}"
    for bad in ("?rooms=", "?rooms=A", "?rooms=a&last_event_id=junk"):
        assert httpx.get(live_server.url + "/api/events" + bad).status_code == 422
