"""The shared command connection and the hub's subscription over TLS (rediss://, as hosted Redis
offers it), on asyncio's loop and on uvloop's (uvicorn's): redis-py greets each connection
through TLS, then the link or the feed takes the TLS transport over. Redis sits behind a TLS
front that relays bytes, a real socket each way."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import ssl
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import trustme
import uvloop

from api.broker import keys
from api.broker.connection import commands_client, subscriber_client
from api.broker.feed import PatternFeed
from api.wire import envelope
from tests.broker.test_multiplex import named
from tests.helpers import eventually


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def _through_tls(redis_url: str, ca: trustme.CA, check: Callable[[str], Coroutine[Any, Any, None]]) -> None:
    target = urlparse(redis_url)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    async def front(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        redis_reader, redis_writer = await asyncio.open_connection(target.hostname, target.port)
        await asyncio.gather(_relay(reader, redis_writer), _relay(redis_reader, writer))

    server = await asyncio.start_server(front, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        await check(f"rediss://127.0.0.1:{port}/0")
    finally:
        server.close()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_the_shared_connection_works_over_tls(loop: str, redis_url: str, tmp_path: Path) -> None:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    name = "mux-tls-" + secrets.token_hex(4)

    async def check(tls_url: str) -> None:
        client = commands_client(f"{tls_url}?ssl_ca_certs={ca_file}&client_name={name}", 10)
        maker = subscriber_client(f"{tls_url}?ssl_ca_certs={ca_file}&client_name={name}-sub")
        try:
            counts = await asyncio.gather(*(client.incr("tls:count") for _ in range(100)))
            assert sorted(counts) == list(range(1, 101))
            async with client.pipeline(transaction=False) as pipe:
                pipe.set("tls:key", "value")
                pipe.get("tls:key")
                assert await pipe.execute() == [True, "value"]
            assert await client.register_script("return ARGV[1]")(args=["lua"]) == "lua"
            assert len(named(redis_url, name)) == 1
            feed = await PatternFeed.open(maker.connection_pool, [keys.ROOM_LIVE_PATTERN], 5)
            try:
                await client.publish(keys.live("tls"), envelope.encode("typing", "", "{}"))
                event = await asyncio.wait_for(feed.next(30), 10)
                assert event is not None and (event.room, event.kind) == ("tls", "typing")
            finally:
                feed.close()
        finally:
            await client.aclose()
            await maker.aclose()
        # Closed through the front, which closes its own side to Redis in turn.
        await eventually(lambda: not named(redis_url, name), what="the connection closed")

    runner = asyncio.Runner(loop_factory=uvloop.new_event_loop if loop == "uvloop" else None)
    with runner:
        runner.run(_through_tls(redis_url, ca, check))
