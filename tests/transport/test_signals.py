"""Presence, typing and read receipts across processes, and the multi-room stream."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx

from scripts.embedded_redis import RedisServer
from tests.conftest import LiveServer
from tests.helpers import ResumingSSE, cancel, eventually, read_frames, session

FAST_PRESENCE = {"presence_ttl_seconds": "2", "presence_refresh_seconds": "0.3", "presence_grace_seconds": "0.5"}


def online(server: LiveServer, room: str = "general") -> list[str]:
    r = httpx.get(f"{server.url}/api/rooms/{room}/presence")
    assert r.status_code == 200
    names: list[str] = r.json()["online"]
    return names


async def test_presence_across_instances_and_a_vanished_server(server_factory: Callable[..., LiveServer]) -> None:
    a, b = server_factory(**FAST_PRESENCE), server_factory(**FAST_PRESENCE)
    watcher = ResumingSSE(b.url + "/api/rooms/general/events")
    ada = ResumingSSE(a.url + "/api/rooms/general/events", auth=session(a.url, "ada"))
    bob = ResumingSSE(b.url + "/api/rooms/general/events", auth=session(b.url, "bob"))
    stop = asyncio.Event()
    tasks = [asyncio.create_task(watcher.run(stop))]
    await eventually(lambda: watcher.connections == 1)
    tasks += [asyncio.create_task(c.run(stop)) for c in (ada, bob)]
    await eventually(lambda: online(a) == ["ada", "bob"] == online(b), what="both online")
    await eventually(lambda: len(watcher.events("presence")) == 2)
    joins = [str(e["user"]) for e in watcher.events("presence") if e["action"] == "join"]
    assert sorted(joins) == ["ada", "bob"]
    rooms = httpx.get(a.url + "/api/rooms").json()["rooms"]
    assert rooms == [] or rooms[0]["online"] == 2

    # Bob closes his stream: after the grace period, b's sweep says he left.
    await cancel([tasks[2]])
    await eventually(lambda: online(a) == ["ada"], what="bob left")
    # Server a dies with ada connected: nobody says goodbye, expiry and b's sweep do.
    a.kill()
    await eventually(lambda: online(b) == [], timeout=10, what="ada expired")
    await eventually(lambda: any(e["user"] == "ada" and e["action"] == "leave" for e in watcher.events("presence")))
    leaves = [e["user"] for e in watcher.events("presence") if e["action"] == "leave"]
    assert leaves == ["bob", "ada"]
    await cancel(tasks)


async def test_two_tabs_one_presence(server_factory: Callable[..., LiveServer]) -> None:
    live_server = server_factory(**FAST_PRESENCE)
    url = live_server.url + "/api/rooms/general/events"
    auth = session(live_server.url, "ada")
    watcher = ResumingSSE(url)
    tabs = [ResumingSSE(url, auth=auth), ResumingSSE(url, auth=auth)]
    stop = asyncio.Event()
    watch = asyncio.create_task(watcher.run(stop))
    await eventually(lambda: watcher.connections == 1)
    running = [asyncio.create_task(t.run(stop)) for t in tabs]
    await eventually(lambda: online(live_server) == ["ada"])
    await cancel(running[:1])
    await asyncio.sleep(0.5)
    assert online(live_server) == ["ada"]
    await cancel(running[1:])
    await eventually(lambda: online(live_server) == [])
    await eventually(lambda: len(watcher.events("presence")) == 2)
    await cancel([watch])
    assert [e["action"] for e in watcher.events("presence")] == ["join", "leave"]


async def test_a_stream_that_ends_and_resumes_is_no_leave_and_join(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(sse_max_seconds="0.7", presence_grace_seconds="3", presence_refresh_seconds="0.3")
    url = server.url + "/api/rooms/general/events"
    watcher = ResumingSSE(url)
    ada = ResumingSSE(url, auth=session(server.url, "ada"))
    stop = asyncio.Event()
    tasks = [asyncio.create_task(watcher.run(stop))]
    await eventually(lambda: watcher.connections >= 1)
    tasks.append(asyncio.create_task(ada.run(stop)))
    await eventually(lambda: ada.connections >= 4, what="ada's stream ended and resumed several times")
    assert online(server) == ["ada"]
    await cancel(tasks)
    assert [(e["user"], e["action"]) for e in watcher.events("presence")] == [("ada", "join")]


async def test_typing_is_announced_throttled_and_never_stored(live_server: LiveServer) -> None:
    auth = session(live_server.url, "ada")
    watcher = ResumingSSE(live_server.url + "/api/rooms/general/events")
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    await eventually(lambda: watcher.connections == 1)
    await asyncio.sleep(0.2)
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


async def test_read_receipts_and_unread_counts(live_server: LiveServer) -> None:
    ada, bob = session(live_server.url, "ada"), session(live_server.url, "bob")
    sent = [
        httpx.post(live_server.url + "/api/rooms/general/messages", json={"text": str(i)}, headers=ada).json()
        for i in range(3)
    ]
    watcher = ResumingSSE(live_server.url + "/api/rooms/general/events")
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    await eventually(lambda: watcher.connections == 1)
    await asyncio.sleep(0.2)
    ada_id = sent[0]["user_id"]
    bob_id = httpx.get(live_server.url + "/api/session", headers=bob).json()["user_id"]
    r = httpx.post(live_server.url + "/api/rooms/general/read", json={"id": sent[1]["id"]}, headers=bob)
    assert r.status_code == 200
    assert r.json() == {"user_id": bob_id, "user": "bob", "id": sent[1]["id"], "n": 2, "room": "general"}
    # Reading backwards never moves the position back.
    back = httpx.post(live_server.url + "/api/rooms/general/read", json={"id": sent[0]["id"]}, headers=bob)
    assert back.json()["id"] == sent[1]["id"]
    await eventually(lambda: len(watcher.events("read")) == 1)
    await cancel([task])
    assert watcher.events("read")[0]["user"] == "bob"
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
