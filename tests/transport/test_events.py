"""The SSE route over a real socket: live delivery, resume, reset, and stream lifetime."""

from __future__ import annotations

import asyncio
import json

import httpx
import redis

from api.broker import keys
from tests.conftest import LiveServer
from tests.helpers import RedisMonitor, eventually, open_stream, read_frames, session


def post(server: LiveServer, text: str, room: str = "general", name: str = "ada") -> dict[str, object]:
    r = httpx.post(f"{server.url}/api/rooms/{room}/messages", json={"text": text}, headers=session(server.url, name))
    assert r.status_code == 201, r.text
    result: dict[str, object] = r.json()
    return result


async def test_fresh_stream_starts_at_the_newest_message_then_goes_live(live_server: LiveServer) -> None:
    old = post(live_server, "before")
    async with open_stream(live_server.url + "/api/rooms/general/events") as stream:
        ready = await stream.next()
        assert (ready.event, ready.id) == ("ready", old["id"])
        new = await asyncio.to_thread(post, live_server, "after")
        message = await stream.next()
    assert (message.event, message.id, message.json()) == ("message", new["id"], new)


async def test_headers_and_first_frame(live_server: LiveServer) -> None:
    async with httpx.AsyncClient() as client:
        async with client.stream("GET", live_server.url + "/api/rooms/general/events") as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            assert r.headers["cache-control"].startswith("no-cache")
            assert "content-length" not in r.headers
            first = await anext(r.aiter_text())
            assert first.startswith("retry: 1000\n\n")


async def test_resume_by_header_and_by_query(live_server: LiveServer) -> None:
    sent = [post(live_server, f"m{i}") for i in range(5)]
    url = live_server.url + "/api/rooms/general/events"
    by_header = await read_frames(url, 3, headers={"Last-Event-ID": str(sent[1]["id"])})
    by_query = await read_frames(f"{url}?last_event_id={sent[1]['id']}", 3)
    for frames in (by_header, by_query):
        assert [f.id for f in frames] == [m["id"] for m in sent[2:]]
        assert [f.json()["text"] for f in frames] == ["m2", "m3", "m4"]


async def test_resume_from_zero_replays_everything_kept(live_server: LiveServer) -> None:
    sent = [post(live_server, f"m{i}") for i in range(3)]
    frames = await read_frames(live_server.url + "/api/rooms/general/events?last_event_id=0", 3)
    assert [f.id for f in frames] == [m["id"] for m in sent]


async def test_trimmed_resume_id_gets_reset_not_a_silent_gap(live_server: LiveServer, redis_sync: redis.Redis) -> None:
    sent = [post(live_server, f"m{i}") for i in range(4)]
    redis_sync.xtrim(keys.stream("general"), maxlen=2, approximate=False)
    frames = await read_frames(f"{live_server.url}/api/rooms/general/events?last_event_id={sent[0]['id']}", 1)
    reset = frames[0]
    assert reset.event == "reset" and reset.id == sent[-1]["id"]
    assert reset.json()["oldest"] == sent[2]["id"] and reset.json()["requested"] == sent[0]["id"]


async def test_resume_id_from_a_wiped_store_gets_reset(live_server: LiveServer) -> None:
    frames = await read_frames(live_server.url + "/api/rooms/general/events?last_event_id=99999999999999-0", 1)
    assert frames[0].event == "reset" and frames[0].id == "0-0"


async def test_bad_resume_id_and_room(live_server: LiveServer) -> None:
    for bad in ("abc", "99999999999999999999"):
        r = httpx.get(live_server.url + f"/api/rooms/general/events?last_event_id={bad}")
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_cursor"
    r = httpx.get(live_server.url + "/api/rooms/No!/events")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_room"


async def test_stream_ends_cleanly_after_sse_max_seconds(server_factory) -> None:
    server = server_factory(sse_max_seconds="0.5")
    async with httpx.AsyncClient(timeout=5) as client:
        async with asyncio.timeout(5):
            r = await client.get(server.url + "/api/rooms/general/events")
    assert r.status_code == 200 and "event: ready" in r.text


async def test_heartbeats_keep_idle_streams_open(server_factory) -> None:
    server = server_factory(sse_heartbeat_seconds="0.2")
    async with httpx.AsyncClient(timeout=5) as client:
        async with client.stream("GET", server.url + "/api/rooms/general/events") as r:
            text = ""
            async with asyncio.timeout(5):
                async for chunk in r.aiter_text():
                    text += chunk
                    if text.count(": ping\n\n") >= 2:
                        break
    assert text.count(": ping\n\n") >= 2


async def test_long_poll_answers_as_soon_as_a_message_arrives(live_server: LiveServer, redis_url: str) -> None:
    last = str(post(live_server, "old")["id"])
    with RedisMonitor(redis_url) as redis_log:
        async with httpx.AsyncClient(timeout=30) as client:
            params: dict[str, str | int] = {"after": last, "wait": 20, "limit": 5}
            poll = asyncio.create_task(client.get(f"{live_server.url}/api/rooms/general/messages", params=params))
            # Once the poll has read its page after `last` (and found nothing), only being woken
            # by the new message can answer it before its 20 s are up.
            await eventually(
                lambda: redis_log.saw_page_read(keys.stream("general"), last, 5), what="the poll to read the room"
            )
            assert not poll.done()
            new = await asyncio.to_thread(post, live_server, "new")
            async with asyncio.timeout(5):
                r = await poll
    assert r.status_code == 200 and r.json()["messages"] == [new]


async def test_several_rooms_resume_with_a_reset_for_a_trimmed_one(
    live_server: LiveServer, redis_sync: redis.Redis
) -> None:
    a = [str(post(live_server, f"a{i}", room="a")["id"]) for i in range(4)]
    b = [str(post(live_server, f"b{i}", room="b")["id"]) for i in range(2)]
    redis_sync.xtrim(keys.stream("a"), maxlen=2, approximate=False)
    url = live_server.url + "/api/events?rooms=a,b"
    reset, replayed = await read_frames(url, 2, headers={"Last-Event-ID": f"a:{a[0]},b:{b[0]}"})
    assert reset.event == "reset" and reset.id == f"a:{a[3]},b:{b[0]}"
    assert reset.json() == {"room": "a", "id": a[3], "oldest": a[2], "requested": a[0]}
    # The room still kept resumes where it was, beside the reset one.
    assert (replayed.event, replayed.json()["id"], replayed.id) == ("message", b[1], f"a:{a[3]},b:{b[1]}")


async def test_one_stream_follows_at_most_stream_rooms_max_rooms(live_server: LiveServer) -> None:
    rooms = [f"r{i}" for i in range(51)]  # STREAM_ROOMS_MAX is 50 by default
    async with httpx.AsyncClient() as client:
        params = {"rooms": ",".join(rooms)}
        async with client.stream("GET", live_server.url + "/api/events", params=params) as r:
            assert r.status_code == 422
            assert json.loads(await r.aread())["error"]["code"] == "too_many_rooms"
    frames = await read_frames(live_server.url + "/api/events?rooms=" + ",".join(rooms[:50]), 50)
    assert [(f.event, f.json()["room"]) for f in frames] == [("ready", room) for room in rooms[:50]]
