import asyncio

import pytest

from api.broker.subscription import Closed, End, Subscription
from api.wire.events import Event


def message(n: int, room: str = "r") -> Event:
    return Event(room, "message", f'{{"n":{n}}}', f"{n}-0")


async def test_stored_events_are_deduplicated_per_room_but_signals_are_not() -> None:
    sub = Subscription(("a", "b"), limit=10)
    sub.anchor("a", (5, 0))
    for event in (message(4, "a"), message(5, "a"), message(6, "a"), message(6, "a"), message(1, "b")):
        sub.push(event)
    sub.push(Event("a", "typing", "{}"))
    sub.push(Event("a", "typing", "{}"))
    batch = await sub.get()
    assert [(e.room, e.kind, e.id) for e in batch] == [
        ("a", "message", "6-0"),
        ("b", "message", "1-0"),
        ("a", "typing", None),
        ("a", "typing", None),
    ]
    assert sub.anchors == {"a": (5, 0)} and sub.unanchored == {"b"}


async def test_a_listener_takes_events_while_nothing_waits_and_order_is_kept() -> None:
    sub = Subscription(("r",), limit=10)
    taken: list[str | None] = []
    busy = False

    def offer(event: Event) -> bool:
        if busy:
            return False
        taken.append(event.id)
        return True

    sub.listen(offer, None)
    sub.push(message(1))
    busy = True
    sub.push(message(2))
    busy = False
    sub.push(message(3))  # behind 2 in the queue: not offered, or it would overtake it
    assert taken == ["1-0"]
    assert [e.id for e in await sub.get()] == ["2-0", "3-0"]


async def test_a_client_that_falls_too_far_behind_is_closed_as_slow_once() -> None:
    sub = Subscription(("r",), limit=2)
    ends: list[End] = []
    sub.listen(lambda _: False, ends.append)
    for n in range(1, 5):
        sub.push(message(n))
    assert sub.closed and sub.reason is End.SLOW and ends == [End.SLOW]
    sub.close(End.DONE)
    assert sub.reason is End.SLOW and ends == [End.SLOW]
    with pytest.raises(Closed) as closed:
        await sub.get()
    assert closed.value.reason is End.SLOW


async def test_wake_returns_a_waiting_get_empty_handed_and_close_ends_it() -> None:
    sub = Subscription(("r",), limit=2)
    getter = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    assert not getter.done()
    sub.wake()
    assert await getter == []
    getter = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    sub.close(End.DISCONNECTED)
    with pytest.raises(Closed):
        await getter
