"""The shared command connection (api/broker/multiplex.py) on a real Redis: concurrent callers
share it and each gets its own reply, whatever another caller does (gives up, errs), and it is
made again when Redis drops it or it idles."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator

import pytest
import redis
from redis.asyncio import Redis
from redis.exceptions import DataError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.broker.connection import commands_client
from api.broker.multiplex import Multiplexed
from tests.helpers import Gate, eventually


def named(url: str, name: str) -> list[dict[str, str]]:
    """The connections to Redis named `name`."""
    with redis.Redis.from_url(url, decode_responses=True) as admin:
        return [c for c in admin.client_list() if c["name"] == name]


@pytest.fixture
def name() -> str:
    return "mux-" + secrets.token_hex(4)


@pytest.fixture
async def client(redis_url: str, name: str) -> AsyncIterator[Redis]:
    redis_client = commands_client(f"{redis_url}{'&' if '?' in redis_url else '?'}client_name={name}", 10)
    yield redis_client
    await redis_client.aclose()


def shared(client: Redis) -> Multiplexed:
    mux = getattr(client, "multiplexed", None)
    assert isinstance(mux, Multiplexed)
    return mux


async def test_concurrent_callers_share_one_connection_each_with_its_own_reply(
    client: Redis, redis_url: str, name: str
) -> None:
    async def one(i: int) -> tuple[str, int]:
        await client.set(f"mux:{i}", i)
        async with client.pipeline(transaction=False) as pipe:
            pipe.get(f"mux:{i}")
            pipe.incr("mux:count")
            got, count = await pipe.execute()
        return got, count

    results = await asyncio.gather(*(one(i) for i in range(300)))
    assert [got for got, _ in results] == [str(i) for i in range(300)]
    assert sorted(count for _, count in results) == list(range(1, 301))
    assert len(named(redis_url, name)) == 1


async def test_a_caller_that_gives_up_leaves_no_reply_to_the_next(client: Redis, redis_url: str) -> None:
    await client.mset({"a": "1", "b": "2"})
    with redis.Redis.from_url(redis_url) as admin:
        admin.client_pause(500)  # Redis holds every command meanwhile; the first is on its way

    async def get(key: str) -> object:
        return await client.get(key)

    first = asyncio.create_task(get("a"))
    await eventually(lambda: len(getattr(shared(client)._link, "waiting", ())) == 1, what="the first command written")
    first.cancel()
    assert await client.get("b") == "2"
    assert await client.get("a") == "1"


async def test_an_error_is_its_own_commands(client: Redis) -> None:
    await client.set("s", "x")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await client.lpush("s", "1")
    assert await client.get("s") == "x"
    async with client.pipeline(transaction=False) as pipe:
        pipe.get("s")
        pipe.lpush("s", "1")
        pipe.incr("n")
        got, refused, count = await pipe.execute(raise_on_error=False)
    assert (got, count) == ("x", 1) and isinstance(refused, ResponseError)
    async with client.pipeline(transaction=False) as pipe:
        pipe.get("s")
        pipe.lpush("s", "1")
        with pytest.raises(ResponseError, match="WRONGTYPE"):
            await pipe.execute()
    assert await client.hgetall("missing") == {}  # response callbacks hold as on a pooled connection


async def test_a_script_gone_from_redis_is_loaded_again(client: Redis) -> None:
    script = client.register_script("return ARGV[1]")
    assert await script(args=["x"]) == "x"
    await client.script_flush()
    assert await script(args=["y"]) == "y"


async def test_a_connection_redis_dropped_is_made_again(client: Redis, redis_url: str, name: str) -> None:
    await client.ping()
    [before] = named(redis_url, name)
    with redis.Redis.from_url(redis_url) as admin:
        admin.client_kill_filter(_id=before["id"])
    assert await client.incr("after") == 1
    [after] = named(redis_url, name)
    assert after["id"] != before["id"]


async def test_an_idle_connection_closes_and_opens_when_needed(redis_url: str, name: str) -> None:
    client = commands_client(f"{redis_url}?client_name={name}", 10, idle_seconds=0.3)
    try:
        await client.ping()
        assert len(named(redis_url, name)) == 1
        await eventually(lambda: not named(redis_url, name), what="the idle connection closed")
        assert await client.ping()
        assert len(named(redis_url, name)) == 1
    finally:
        await client.aclose()
    assert not named(redis_url, name)


async def test_an_argument_redis_cannot_take_is_refused_before_anything_is_sent(client: Redis) -> None:
    with pytest.raises(DataError):
        await client.set("k", None)  # type: ignore[arg-type]
    assert await client.set("k", "v") and await client.get("k") == "v"


async def test_a_command_waiting_past_the_timeout_fails_while_redis_answers_the_others(
    redis_url: str, name: str
) -> None:
    # Three GETs written together, Redis's replies held: the first let through half way to the
    # timeout, so the connection is alive; the others still end within their 1 s, before the
    # connection would count as stalled (1 s after that reply).
    gate = Gate(redis_url)
    async with gate as url:
        client = commands_client(f"{url}?client_name={name}", 10, timeout=1.0)
        try:
            await client.mset({"a": "1", "b": "2", "c": "3"})
            [before] = named(redis_url, name)
            gate.shut = True
            started = time.monotonic()
            gets = [asyncio.ensure_future(client.get(key)) for key in "abc"]
            await eventually(lambda: len(gate.held) == 3 * len(b"$1\r\n1\r\n"), what="Redis answered all three")
            await eventually(lambda: time.monotonic() - started >= 0.5, what="half the timeout passed")
            gate.release(len(b"$1\r\n1\r\n"))
            assert await gets[0] == "1"
            for late in gets[1:]:
                with pytest.raises(RedisTimeoutError, match=r"did not answer within 1\.0 s"):
                    await late
            assert time.monotonic() - started < 1.4
            gate.shut = False
            gate.release(len(gate.held))  # their replies, read and dropped
            assert await client.get("c") == "3"
            [after] = named(redis_url, name)
            assert after["id"] == before["id"]  # the same connection: Redis never stopped answering
        finally:
            await client.aclose()
