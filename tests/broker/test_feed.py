"""The hub's subscription on one Redis (api/broker/feed.py), on a real Redis: what is published on
its patterns arrives decoded and in order, and a connection that died, loudly or silently
(half-open: no reply to a ping), ends it."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import pytest
import redis
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from api.broker import keys
from api.broker.connection import subscriber_client
from api.broker.feed import PatternFeed
from api.wire import envelope
from api.wire.events import Event
from tests.helpers import Gate, eventually, holds_for

PATTERNS = (keys.ROOM_LIVE_PATTERN, keys.USER_LIVE_PATTERN)


@pytest.fixture
async def maker(redis_url: str) -> AsyncIterator[Redis]:
    client = subscriber_client(redis_url)
    yield client
    await client.aclose()


async def test_events_arrive_decoded_and_in_order(
    maker: Redis, redis_sync: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    feed = await PatternFeed.open(maker.connection_pool, PATTERNS, 2)
    try:
        live = keys.live("general")
        with redis_sync.pipeline(transaction=False) as pipe:
            pipe.publish("chat:elsewhere", "not followed")
            pipe.publish(live, "not an envelope")
            for n in range(500):
                pipe.publish(live, envelope.encode("typing", "", f'{{"n":{n}}}'))
            pipe.publish(keys.user_live("u1"), envelope.encode("membership", "", "{}"))
            pipe.execute()
        got: list[Event] = []
        with caplog.at_level(logging.WARNING, "api.broker.feed"):
            while len(got) < 501:
                event = await asyncio.wait_for(feed.next(30), 10)
                assert event is not None  # no ping: never quiet for 30 s
                got.append(event)
        assert [(e.room, e.kind, e.data) for e in got[:500]] == [
            ("general", "typing", f'{{"n":{n}}}') for n in range(500)
        ]
        assert (got[500].room, got[500].kind) == (keys.USER_ROOM + "u1", "membership")
        assert "ignoring a malformed event" in caplog.text
    finally:
        feed.close()


async def test_a_connection_redis_dropped_ends_the_feed(maker: Redis, redis_sync: redis.Redis) -> None:
    feed = await PatternFeed.open(maker.connection_pool, PATTERNS, 2)
    redis_sync.client_kill_filter(_type="pubsub")
    with pytest.raises(RedisConnectionError):
        await asyncio.wait_for(feed.next(30), 10)


async def test_a_quiet_feed_pings_and_a_silent_redis_ends_it(redis_url: str) -> None:
    gate = Gate(redis_url)
    async with gate as url:
        maker = subscriber_client(url)
        try:
            feed = await PatternFeed.open(maker.connection_pool, PATTERNS, 2)
            assert await asyncio.wait_for(feed.next(0.3), 10) is None  # pinged, answered
            assert await asyncio.wait_for(feed.next(0.3), 10) is None
            gate.shut = True  # Redis's side goes silent, the socket stays open: half-open
            with pytest.raises(RedisConnectionError, match="answered no ping"):
                for _ in range(3):  # a ping unanswered, then the next check ends it
                    await asyncio.wait_for(feed.next(0.3), 10)
        finally:
            await maker.aclose()


async def test_a_hub_that_falls_behind_stops_the_feed_reading_then_gets_everything(
    maker: Redis, redis_sync: redis.Redis
) -> None:
    feed = await PatternFeed.open(maker.connection_pool, PATTERNS, 2, high=50, low=10)
    try:
        live = keys.live("general")
        payload = "x" * 1000  # a kilobyte each: many reads' worth, so that the pause can hold some back
        with redis_sync.pipeline(transaction=False) as pipe:
            for n in range(2000):
                pipe.publish(live, envelope.encode("typing", "", f'{{"n":{n},"p":"{payload}"}}'))
            pipe.execute()
        await eventually(lambda: feed.queued >= 50, what="the queue filled to its bound")
        await holds_for(lambda: feed.queued < 2000 and not feed.reading, 0.3, what="reading paused")
        got: list[int] = []
        while len(got) < 2000:
            event = await asyncio.wait_for(feed.next(30), 10)
            assert event is not None
            got.append(json.loads(event.data)["n"])
        assert got == list(range(2000))
        assert feed.reading
    finally:
        feed.close()
