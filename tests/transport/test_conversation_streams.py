"""Edits, deletions and reactions on the streams of a real server: live as events with ids of
their own, in order with the messages, replayed to a client resuming by Last-Event-ID, and sent
and acknowledged over a WebSocket. A deleted message's text is never sent again."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import httpx
import websockets

from api.broker import keys
from tests.conftest import LiveServer
from tests.helpers import RedisMonitor, eventually, open_stream, read_frames, session

THUMBS = "👍"


def call(server: LiveServer, method: str, path: str, name: str = "ada", **kwargs: Any) -> httpx.Response:
    return httpx.request(method, server.url + path, headers=session(server.url, name), **kwargs)


def post(server: LiveServer, text: str, name: str = "ada") -> dict[str, Any]:
    r = call(server, "POST", "/api/rooms/general/messages", name, json={"text": text})
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def edit(server: LiveServer, id: str, text: str) -> None:
    assert call(server, "PATCH", f"/api/rooms/general/messages/{id}", json={"text": text}).status_code == 200


def delete(server: LiveServer, id: str) -> None:
    assert call(server, "DELETE", f"/api/rooms/general/messages/{id}").status_code == 204


def react(server: LiveServer, id: str, name: str = "bob") -> None:
    r = call(server, "PUT", f"/api/rooms/general/messages/{id}/reactions/{quote(THUMBS)}", name)
    assert r.status_code == 200, r.text


async def test_a_resuming_client_gets_changes_in_order_and_never_a_deleted_text(live_server: LiveServer) -> None:
    first, second = post(live_server, "first"), post(live_server, "second")
    edit(live_server, first["id"], "first, edited")
    edit(live_server, second["id"], "second, edited secret")
    third = post(live_server, "third")
    delete(live_server, second["id"])
    react(live_server, third["id"])
    url = live_server.url + "/api/rooms/general/events"
    frames = await read_frames(url, 5, headers={"Last-Event-ID": first["id"]})
    # The second message as it now is (deleted), the first one's edit, the third message (with
    # its reaction as it now is), then the deletion and the reaction: the edit of the deleted
    # message is left out, its text with it.
    assert [f.event for f in frames] == ["message", "edit", "message", "delete", "reaction"]
    assert frames[0].json() == {"id": second["id"], "n": 2, "room": "general", "deleted": True}
    assert frames[1].json()["text"] == "first, edited" and frames[1].json()["message"] == first["id"]
    assert frames[2].json()["reactions"] == {THUMBS: [frames[4].json()["user_id"]]}
    assert frames[3].json()["message"] == second["id"]
    assert (frames[4].json()["emoji"], frames[4].json()["on"], frames[4].json()["user"]) == (THUMBS, True, "bob")
    ids = [f.id for f in frames]
    assert all(ids) and ids == sorted(ids, key=lambda i: tuple(int(p) for p in str(i).split("-")))
    assert "secret" not in "".join(f.data for f in frames)
    # Resuming from the edit goes on right after it.
    again = await read_frames(url, 3, headers={"Last-Event-ID": str(frames[1].id)})
    assert [f.id for f in again] == ids[2:]
    # From the start: everything kept, as it now is, and still not the deleted text.
    everything = await read_frames(url + "?last_event_id=0", 6)
    assert [f.event for f in everything] == ["message", "message", "edit", "message", "delete", "reaction"]
    assert everything[0].json()["text"] == "first, edited" and "secret" not in "".join(f.data for f in everything)


async def test_changes_are_live_events_with_their_own_ids(live_server: LiveServer) -> None:
    mine = post(live_server, "hello")
    async with open_stream(live_server.url + "/api/rooms/general/events") as stream:
        assert (await stream.next()).event == "ready"
        await asyncio.to_thread(edit, live_server, mine["id"], "hello!")
        await asyncio.to_thread(react, live_server, mine["id"])
        await asyncio.to_thread(delete, live_server, mine["id"])
        frames = await stream.take(3)
    assert [f.event for f in frames] == ["edit", "reaction", "delete"]
    assert len({f.id for f in frames}) == 3 and all(f.id and f.id != mine["id"] for f in frames)
    assert all(f.json()["id"] == f.id and f.json()["message"] == mine["id"] for f in frames)
    # A client resuming after the last change gets none of them again: the next frame is what followed.
    later = post(live_server, "later")
    rest = await read_frames(live_server.url + "/api/rooms/general/events", 1, {"Last-Event-ID": str(frames[-1].id)})
    assert (rest[0].event, rest[0].id) == ("message", later["id"])


def ws_url(server: LiveServer) -> str:
    return server.url.replace("http://", "ws://") + "/api/rooms/general/ws"


async def recv(ws: websockets.ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv(decode=True))
            if frame["type"] != "presence":
                return frame


async def test_edit_delete_and_react_over_a_websocket(live_server: LiveServer) -> None:
    mine = post(live_server, "typo")
    async with (
        websockets.connect(ws_url(live_server), additional_headers=session(live_server.url, "ada")) as a,
        websockets.connect(ws_url(live_server)) as watcher,
    ):
        assert (await recv(a))["type"] == (await recv(watcher))["type"] == "ready"

        async def ask(frame: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
            await a.send(json.dumps(frame))
            got = [await recv(a), await recv(a)]
            ack = next(f for f in got if f["type"] == "ack")
            event = next(f for f in got if f["type"] != "ack")
            assert await recv(watcher) == event
            return ack, event

        ack, event = await ask({"type": "message", "text": "re", "reply_to": mine["id"], "client_id": "m1"})
        assert event["type"] == "message" and event["reply_to"]["text"] == "typo" and ack["id"] == event["id"]
        ack, event = await ask({"type": "edit", "id": mine["id"], "text": "fixed", "client_id": "e1"})
        assert event["type"] == "edit" and event["text"] == "fixed" and ack["id"] == event["id"]
        assert ack["client_id"] == "e1" and ack["message"]["text"] == "fixed" and "edited_ts" in ack["message"]
        ack, event = await ask({"type": "reaction", "id": mine["id"], "emoji": THUMBS})
        assert (event["type"], event["emoji"], event["on"]) == ("reaction", THUMBS, True)
        assert ack["message"]["reactions"] == {THUMBS: [event["user_id"]]}
        # Reacting again changes nothing: acknowledged without a change id, and nobody is told.
        await a.send(json.dumps({"type": "reaction", "id": mine["id"], "emoji": THUMBS, "client_id": "r2"}))
        again = await recv(a)
        assert again["type"] == "ack" and again["id"] is None and again["client_id"] == "r2"
        ack, event = await ask({"type": "reaction", "id": mine["id"], "emoji": THUMBS, "on": False})
        assert (event["type"], event["on"]) == ("reaction", False) and "reactions" not in ack["message"]
        ack, event = await ask({"type": "delete", "id": mine["id"]})
        assert event["type"] == "delete" and ack["message"] == {
            "id": mine["id"],
            "n": mine["n"],
            "room": "general",
            "deleted": True,
        }
        for frame, code in [
            ({"type": "edit", "id": mine["id"], "text": "zombie"}, "message_deleted"),
            ({"type": "reaction", "id": mine["id"], "emoji": "ab"}, "invalid_emoji"),
            ({"type": "delete", "id": "nope"}, "invalid_cursor"),
        ]:
            await a.send(json.dumps(frame))
            error = await recv(a)
            assert (error["type"], error["code"]) == ("error", code), error


async def test_a_long_poll_answers_as_soon_as_a_message_is_changed(live_server: LiveServer, redis_url: str) -> None:
    mine = post(live_server, "old")
    with RedisMonitor(redis_url) as redis_log:
        async with httpx.AsyncClient(timeout=30) as client:
            params: dict[str, str | int] = {"after": mine["id"], "wait": 20, "limit": 5}
            poll = asyncio.create_task(client.get(f"{live_server.url}/api/rooms/general/messages", params=params))
            await eventually(
                lambda: redis_log.saw_page_read(keys.stream("general"), mine["id"], 5), what="the poll to read the room"
            )
            assert not poll.done()
            await asyncio.to_thread(edit, live_server, mine["id"], "new")
            async with asyncio.timeout(5):
                r = await poll
    page = r.json()
    assert page["messages"] == [] and [c["type"] for c in page["changes"]] == ["edit"]
    assert page["changes"][0]["text"] == "new" and page["last_id"] == page["changes"][0]["id"]


async def test_a_stream_of_several_rooms_resumes_across_changes(live_server: LiveServer) -> None:
    here = post(live_server, "here")
    r = call(live_server, "POST", "/api/rooms/other/messages", json={"text": "there"})
    there = r.json()
    edit(live_server, here["id"], "here, edited")
    react(live_server, here["id"])
    url = live_server.url + "/api/events?rooms=general,other"
    frames = await read_frames(url, 2, headers={"Last-Event-ID": f"general:{here['id']},other:{there['id']}"})
    assert [f.event for f in frames] == ["edit", "reaction"]
    # Each frame's id holds every room's position: resuming from the first replays the second only.
    edit_id = frames[0].json()["id"]
    assert frames[0].id == f"general:{edit_id},other:{there['id']}"
    later = post(live_server, "later")
    rest = await read_frames(url, 2, headers={"Last-Event-ID": str(frames[0].id)})
    assert [(f.event, f.json()["id"]) for f in rest] == [("reaction", frames[1].json()["id"]), ("message", later["id"])]
