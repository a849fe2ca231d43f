"""The per-process access cache never outlives what it caches: a change made through another
instance reaches this one's cache on the room's (or the account's) channel, before any later
message, and a connect after it is refused as it would be without a cache."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import httpx
import redis
from prometheus_client.parser import text_string_to_metric_families

from scripts.embedded_redis import RedisServer
from tests.conftest import LiveServer
from tests.helpers import Frame, SSEStream, eventually, health, open_stream, read_frames, session, subscriber_away


def create_vault(server: LiveServer, creator: dict[str, str]) -> None:
    """A private room "vault" of its creator and bob."""
    body = {"name": "vault", "private": True, "members": ["bob"]}
    created = httpx.post(f"{server.url}/api/rooms", json=body, headers=creator)
    assert created.status_code == 201, created.text


def stream_status(server: LiveServer, room: str, headers: dict[str, str]) -> int:
    with httpx.stream("GET", f"{server.url}/api/rooms/{room}/events", headers=headers, timeout=10) as response:
        return response.status_code


async def subscribed(server: LiveServer) -> None:
    """Waits for the server's subscriber (started by its first stream): only what is read while
    it hears every change is kept."""
    await read_frames(f"{server.url}/api/rooms/general/events", 1)
    await eventually(lambda: health(server.url)["subscriber"] is True, what="the subscriber")


async def next_message(stream: SSEStream) -> Frame:
    while (frame := await stream.next()).event != "message":
        pass
    return frame


async def until_closed(stream: SSEStream) -> None:
    try:
        while True:
            await stream.next()
    except StopAsyncIteration:
        return


async def test_a_member_removed_through_another_instance_is_refused_here(
    server_factory: Callable[..., LiveServer],
) -> None:
    here, there = server_factory(), server_factory()
    ada, bob = session(here.url, "ada"), session(here.url, "bob")
    create_vault(there, ada)
    events = f"{here.url}/api/rooms/vault/events"
    await subscribed(here)
    await read_frames(events, 1, headers=bob)  # what this instance read of bob in vault is now kept

    async with open_stream(events, ada) as watching:  # ada's stream here hears vault in order
        await watching.take(1)
        gone = httpx.delete(f"{there.url}/api/rooms/vault/members/bob", headers=ada)
        assert gone.status_code == 204, gone.text
        sent = httpx.post(f"{there.url}/api/rooms/vault/messages", json={"text": "after"}, headers=ada)
        assert sent.status_code == 201, sent.text
        # Once "after" reached this instance, so did bob's removal, announced before it.
        assert (await next_message(watching)).json()["text"] == "after"
        assert stream_status(here, "vault", bob) == 403


async def test_a_session_ended_through_another_instance_is_over_here(
    server_factory: Callable[..., LiveServer],
) -> None:
    here, there = server_factory(), server_factory()
    ada, bob = session(here.url, "ada"), session(here.url, "bob")
    create_vault(here, ada)
    await subscribed(here)
    async with open_stream(f"{here.url}/api/rooms/vault/events", bob) as open_here:
        await open_here.take(1)  # bob's session is now known alive here
        assert httpx.delete(f"{there.url}/api/session", headers=bob).status_code == 204
        await until_closed(open_here)  # this instance heard it
    # The token is still well signed: only the session's end tells it is over.
    assert stream_status(here, "vault", bob) == 401


async def test_a_change_made_here_holds_here_at_once(live_server: LiveServer) -> None:
    ada, bob = session(live_server.url, "ada"), session(live_server.url, "bob")
    create_vault(live_server, ada)
    await subscribed(live_server)
    await read_frames(f"{live_server.url}/api/rooms/vault/events", 1, headers=bob)
    assert httpx.delete(f"{live_server.url}/api/rooms/vault/members/bob", headers=ada).status_code == 204
    assert stream_status(live_server, "vault", bob) == 403


async def test_a_removal_made_while_the_subscriber_is_away_holds_when_it_is_back(tmp_path: Path) -> None:
    # A Redis of its own: it is made to refuse new connections for a while.
    with RedisServer(tmp_path / "redis") as private:
        # Pooled connections kept, no presence refresh: nothing but the subscriber needs a new one.
        env = {"REDIS_IDLE_SECONDS": "3600", "PRESENCE_REFRESH_SECONDS": "3600"}
        server = LiveServer(private.url, env).start()
        control = redis.Redis.from_url(private.url)
        try:
            ada, bob = session(server.url, "ada"), session(server.url, "bob")
            create_vault(server, ada)
            async with open_stream(f"{server.url}/api/rooms/vault/events", bob) as reading:
                while (await reading.next()).event != "ready":
                    pass
                await eventually(lambda: health(server.url)["subscriber"] is True, what="the subscriber")
                async with subscriber_away(control, server.url):  # bob's removal is announced to nobody
                    assert httpx.delete(f"{server.url}/api/rooms/vault/members/bob", headers=ada).status_code == 204
                # Back, it catches the room up and checks its streams of the room again.
                frames = []
                with contextlib.suppress(StopAsyncIteration):
                    while True:
                        frames.append(await reading.next(timeout=15))
                assert [f.event for f in frames if f.event not in ("presence", "typing")] == ["access"]
        finally:
            control.close()
            server.stop()


def stream_ends(server: LiveServer, reason: str) -> float:
    """How many streams of the server ended for `reason`, by its metrics."""
    text = httpx.get(f"{server.url}/api/metrics", timeout=5).text
    ends = [f for f in text_string_to_metric_families(text) if f.name == "chat_stream_ends"]
    return next(s.value for s in ends[0].samples if s.name.endswith("_total") and s.labels["reason"] == reason)


async def test_a_session_ended_while_the_subscriber_is_away_ends_its_streams_when_it_is_back(tmp_path: Path) -> None:
    # As above: a Redis of its own, made to refuse the subscriber's reconnection for a while.
    with RedisServer(tmp_path / "redis") as private:
        env = {"REDIS_IDLE_SECONDS": "3600", "PRESENCE_REFRESH_SECONDS": "3600"}
        server = LiveServer(private.url, env).start()
        control = redis.Redis.from_url(private.url)
        general = f"{server.url}/api/rooms/general/events"
        try:
            ada, bob, carol = session(server.url, "ada"), session(server.url, "bob"), session(server.url, "carol")
            # carol's session ended before she opened hers: she reads as anonymous, and goes on.
            assert httpx.delete(f"{server.url}/api/session", headers=carol).status_code == 204
            async with (
                open_stream(general, bob) as reading,
                open_stream(general, ada) as other,
                open_stream(general, carol) as stale,
            ):
                for stream in (reading, other, stale):
                    while (await stream.next()).event != "ready":
                        pass
                await eventually(lambda: health(server.url)["subscriber"] is True, what="the subscriber")
                async with subscriber_away(control, server.url):
                    # Its session_end event is published to nobody (a process ends streams on hearing it).
                    assert httpx.delete(f"{server.url}/api/session", headers=bob).status_code == 204
                # Back, it checks the sessions of its streams again: bob's stream ends, and only his.
                await until_closed(reading)
                assert stream_ends(server, "revoked") == 1
                sent = httpx.post(f"{server.url}/api/rooms/general/messages", json={"text": "still"}, headers=ada)
                assert sent.status_code == 201, sent.text
                for stream in (other, stale):
                    assert (await next_message(stream)).json()["text"] == "still"
        finally:
            control.close()
            server.stop()
