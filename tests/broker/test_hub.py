"""The hub on a real Redis: a fan-out to many clients gives the event loop back as it goes, and
each client still gets a room's events in order, all of one before any of the next."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import redis

from api.broker import keys
from api.broker.backend import RedisPubSub
from api.broker.connection import commands_client, subscriber_client
from api.broker.fanout import FAN_OUT_SLICE
from api.broker.hub import Hub
from api.broker.store import MessageStore, SendLimits
from api.broker.subscription import Subscription
from api.wire import envelope
from api.wire.events import Event
from tests.helpers import eventually

CLIENTS = 10 * FAN_OUT_SLICE


async def test_a_large_fan_out_gives_the_loop_back_and_keeps_every_clients_order(
    redis_url: str, redis_sync: redis.Redis
) -> None:
    commands = commands_client(redis_url, 2)
    store = MessageStore(commands, 1000, 60, SendLimits(60_000, 100, 10_000))
    hub = Hub(
        RedisPubSub(subscriber_client(redis_url), store, 2), queue_size=10, heartbeat_seconds=30, retry_max_seconds=1
    )
    pushed: list[tuple[int, str, bool]] = []  # (client, event id, whether the loop ran meanwhile)
    looped = False

    def loop_ran() -> None:
        nonlocal looped
        looped = True

    def offer_for(client: int) -> Callable[[Event], bool]:
        def offer(event: Event) -> bool:
            if not pushed:  # the fan-out's first delivery: is the loop given back before its last?
                asyncio.get_running_loop().call_soon(loop_ran)
            pushed.append((client, event.id or "", looped))
            return True

        return offer

    try:
        async with contextlib.AsyncExitStack() as stack:
            subs: list[Subscription] = []
            for client in range(CLIENTS):
                sub = await stack.enter_async_context(hub.subscribe(("r",)))
                sub.anchor("r", (0, 0))
                sub.listen(offer_for(client), None)
                subs.append(sub)
            await hub.connected.wait()
            with redis_sync.pipeline(transaction=False) as pipe:
                for n in (1, 2):
                    pipe.publish(keys.live("r"), envelope.encode_message(f"{n}-0", str(n), "Ada", '"text":"x"}'))
                pipe.execute()
            await eventually(lambda: len(pushed) == 2 * CLIENTS, what="both events delivered to every client")
    finally:
        await hub.stop()
        await commands.aclose()
    assert [event_id for _, event_id, _ in pushed] == ["1-0"] * CLIENTS + ["2-0"] * CLIENTS
    for client in range(CLIENTS):
        assert [event_id for c, event_id, _ in pushed if c == client] == ["1-0", "2-0"]
    first = [ran for _, event_id, ran in pushed if event_id == "1-0"]
    assert not any(first[:FAN_OUT_SLICE]) and all(first[FAN_OUT_SLICE:])
