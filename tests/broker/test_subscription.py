import asyncio
from collections.abc import Awaitable

import pytest

from api.broker.subscription import Closed, Subscription
from api.wire.events import Event


def message(n: int, room: str = "r") -> Event:
    return Event(room, "message", f'{{"n":{n}}}', f"{n}-0")


async def test_an_idle_client_is_written_directly_and_nothing_is_queued() -> None:
    sub = Subscription(("r",), limit=4)
    written: list[str | None] = []
    sub.attach(lambda event: written.append(event.id) if sub.fresh(event) else None)
    for n in (1, 2, 2, 3):
        sub.push(message(n))
    assert written == ["1-0", "2-0", "3-0"]
    assert sub.sent["r"] == (3, 0)


async def test_events_wait_in_order_behind_an_unfinished_write() -> None:
    sub = Subscription(("r",), limit=10)
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    direct: list[str | None] = []

    def sink(event: Event) -> Awaitable[None] | None:
        direct.append(event.id)
        return gate if len(direct) == 1 else None

    sub.attach(sink)
    sub.push(message(1))
    sub.push(message(2))
    sub.push(message(3))
    assert direct == ["1-0"]
    getter = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    assert not getter.done() and sub.blocked
    gate.set_result(None)
    assert [e.id for e in await getter] == ["2-0", "3-0"]
    assert not sub.blocked


async def test_a_client_that_falls_too_far_behind_is_closed_as_slow() -> None:
    sub = Subscription(("r",), limit=2)
    for n in range(1, 4):
        sub.push(message(n))
    assert sub.closed and sub.reason == "slow"
    with pytest.raises(Closed, match="slow"):
        await sub.get()


async def test_stored_events_are_deduplicated_per_room_but_signals_are_not() -> None:
    sub = Subscription(("a", "b"), limit=10)
    sub.anchor("a", (5, 0))
    for event in (message(4, "a"), message(5, "a"), message(6, "a"), message(1, "b"), Event("a", "typing", "{}")):
        sub.push(event)
    batch = await sub.get()
    assert [(e.room, e.kind, e.id) for e in batch] == [
        ("a", "message", "6-0"),
        ("b", "message", "1-0"),
        ("a", "typing", None),
    ]
    assert [sub.fresh(e) for e in batch] == [True, True, True]
    assert not sub.fresh(message(6, "a"))
