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
    rooms was positioned, as MONITOR saw them (the stream still open)."""
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    seen: list[str] = []
    with r.monitor() as monitor:  # acknowledged: nothing from here on is missed
        async with httpx.AsyncClient(timeout=10) as client, client.stream("GET", url, headers=headers) as stream:
            assert stream.status_code == 200
            buffer, ready = "", 0
            async for text in stream.aiter_text():
                frames, buffer = parse_frames(buffer + text)
                ready += sum(f.event == "ready" for f in frames)
                if ready >= rooms:
                    break
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

    for url in (single, many):  # warm: the subscriber connects, every script is loaded
        await read_frames(url, 1, headers=auth)
    await left("general")
    await left("room-49")

    assert await connect_commands(redis_url, single, {}, 1) == ["evalsha"]  # access and position
    assert await connect_commands(redis_url, single, auth, 1) == ["evalsha", "evalsha"]  # and presence
    await left("general")
    assert await connect_commands(redis_url, many, auth, 50) == ["evalsha", "evalsha"]
    r.close()
