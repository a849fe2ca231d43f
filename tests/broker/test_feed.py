"""The hub's subscription on one Redis (api/broker/feed.py), on a real Redis: what is published on
its patterns arrives decoded and in order, and a connection that died, loudly or silently
(half-open: no reply to a ping), ends it."""

from __future__ import annotations

import asyncio
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
from tests.helpers import Gate

PATTERNS = (keys.ROOM_LIVE_PATTERN, keys.USER_LIVE_PATTERN)


@pytest.fixture
async def maker(redis_url: str) -> AsyncIterator[Redis]:
    client = subscriber_client(redis_url)
    yield client
    await client.aclose()


async def test_events_arrive_decoded_and_in_order(
    maker: Redis, redis_sync: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    feed = await PatternFeed.open(maker.connection_pool, PATTERNS, 30, 2)
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
                event = await asyncio.wait_for(feed.next(), 10)
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
    feed = await PatternFeed.open(maker.connection_pool, PATTERNS, 30, 2)
    redis_sync.client_kill_filter(_type="pubsub")
    with pytest.raises(RedisConnectionError):
        await asyncio.wait_for(feed.next(), 10)


async def test_a_quiet_feed_pings_and_a_silent_redis_ends_it(redis_url: str) -> None:
    gate = Gate(redis_url)
    async with gate as url:
        maker = subscriber_client(url)
        try:
            feed = await PatternFeed.open(maker.connection_pool, PATTERNS, 0.3, 2)
            assert await asyncio.wait_for(feed.next(), 10) is None  # pinged, answered
            assert await asyncio.wait_for(feed.next(), 10) is None
            gate.shut = True  # Redis's side goes silent, the socket stays open: half-open
            with pytest.raises(RedisConnectionError, match="answered no ping"):
                for _ in range(3):  # a ping unanswered, then the next check ends it
                    await asyncio.wait_for(feed.next(), 10)
        finally:
            await maker.aclose()
