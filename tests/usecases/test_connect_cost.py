"""A reconnect storm must not be a Redis storm: what one stream's connect costs in commands."""

from __future__ import annotations

from pathlib import Path

import httpx
import redis

from api.broker import keys
from scripts.embedded_redis import RedisServer
from tests.conftest import LiveServer
from tests.helpers import eventually, parse_frames, read_frames, session


async def connect_commands(redis_url: str, url: str, headers: dict[str, str], rooms: int) -> list[str]:
    """The commands clients (not Lua scripts) sent Redis while a stream opened, until each of its
    rooms was positioned (with `rooms` 0: until it answered), as MONITOR saw them (the stream
    still open)."""
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    seen: list[str] = []
    with r.monitor() as monitor:  # acknowledged: nothing from here on is missed
        async with httpx.AsyncClient(timeout=10) as client, client.stream("GET", url, headers=headers) as stream:
            assert stream.status_code == 200
            buffer, ready, texts = "", 0, stream.aiter_text()
            while ready < rooms:
                text = await anext(texts)
                frames, buffer = parse_frames(buffer + text)
                ready += sum(f.event == "ready" for f in frames)
            while monitor.connection.can_read(timeout=0.3):
                command = monitor.next_command()
                if command["client_type"] != "lua":
                    seen.append(str(command["command"]).split()[0].lower())
    r.close()
    return [c for c in seen if c != "ping"]  # a silent subscriber's keep-alive, on its own timer


async def test_a_connect_costs_at_most_two_commands_however_many_rooms(tmp_path: Path) -> None:
    # A Redis of its own: MONITOR sees every client, and the suite's shared servers use the other.
    with RedisServer(tmp_path / "redis") as private:
        # No refresh timer, and a closed stream leaves at once: nothing of one connect's closing
        # may fall into the next one's window.
        env = {"PRESENCE_REFRESH_SECONDS": "3600", "PRESENCE_GRACE_SECONDS": "0"}
        server = LiveServer(private.url, env).start()
        try:
            await measure(server, private.url)
        finally:
            server.stop()


async def measure(server: LiveServer, redis_url: str) -> None:
    auth = session(server.url, "ada")
    rooms = [f"room-{i}" for i in range(50)]
    for room in ("general", *rooms[:3]):
        httpx.post(f"{server.url}/api/rooms/{room}/messages", json={"text": "x"}, headers=auth).raise_for_status()
    single = f"{server.url}/api/rooms/general/events"
    many = f"{server.url}/api/events?rooms=" + ",".join(rooms)
    r = redis.Redis.from_url(redis_url)

    async def left(room: str) -> None:
        await eventually(lambda: r.zcard(keys.presence(room)) == 0, what=f"the last stream's leave from {room}")

    # Warm: the subscriber connects, every script is loaded; "lobby" and "room-*" stay unread.
    await read_frames(f"{server.url}/api/rooms/lobby/events", 1, headers=auth)
    await left("lobby")

    # Cold: one script reads the session and every room's access and position; one more for presence.
    assert await connect_commands(redis_url, single, {}, 1) == ["evalsha"]
    assert await connect_commands(redis_url, many, auth, 50) == ["evalsha", "evalsha"]
    await left("room-49")

    # Warm: what that read found is kept (and kept right by each room's channel), so a reconnect
    # storm costs Redis nothing but presence.
    assert await connect_commands(redis_url, single, {}, 1) == []
    assert await connect_commands(redis_url, single, auth, 1) == ["evalsha"]  # presence
    await left("general")
    assert await connect_commands(redis_url, many, auth, 50) == ["evalsha"]
    await left("room-49")

    # Resuming from the newest id replays nothing; from an older one, the stream is read.
    newest = (await read_frames(single, 1))[0].id
    assert newest
    seen = await connect_commands(redis_url, single, {"Last-Event-ID": newest}, 0)
    assert seen == [], (newest, seen)
    post = httpx.post(f"{server.url}/api/rooms/general/messages", json={"text": "y"}, headers=auth)
    post.raise_for_status()
    assert "evalsha" in await connect_commands(redis_url, single, {"Last-Event-ID": newest}, 0)
    r.close()
