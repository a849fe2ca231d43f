"""The delivery that SSE and WebSocket share, driven with real asyncio futures as sockets."""

import asyncio
import logging
from collections.abc import Mapping

import pytest
from starlette.websockets import WebSocketDisconnect

from api.broker.subscription import End, Subscription
from api.transport.delivery import Delivery
from api.wire.events import HEARTBEAT, Event
from api.wire.ids import StreamKey


def message(n: int, room: str = "r") -> Event:
    return Event(room, "message", f'{{"n":{n}}}', f"{n}-0")


def encode(event: Event, _: Mapping[str, StreamKey]) -> str | None:
    return None if event is HEARTBEAT else f"{event.kind}:{event.id}"


class Socket:
    """Records writes; `block()` makes the next write wait until `release()`."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self.gate: asyncio.Future[None] | None = None
        self.abandoned = False

    def block(self) -> None:
        self.gate = asyncio.get_running_loop().create_future()

    def release(self) -> None:
        assert self.gate is not None
        self.gate.set_result(None)
        self.gate = None

    async def write(self, payload: str) -> None:
        if self.gate is not None:
            try:
                await self.gate
            except BaseException:  # cancelled, or closed by the delivery (GeneratorExit)
                self.abandoned = True
                raise
        self.written.append(payload)


def join(payloads: list[str]) -> list[str]:
    return ["+".join(payloads)]


async def start(sub: Subscription, socket: Socket, **kwargs: float) -> tuple[Delivery[str], asyncio.Task[End]]:
    delivery = Delivery(sub, encode, socket.write, join)
    task = asyncio.create_task(delivery.run(**kwargs))
    await asyncio.sleep(0)
    return delivery, task


async def test_an_idle_client_is_written_at_once_by_whoever_publishes() -> None:
    sub, socket = Subscription(("r",), limit=4), Socket()
    sub.anchor("r", (1, 0))
    _, task = await start(sub, socket)
    for n in (1, 2, 2, 3):
        sub.push(message(n))
    sub.push(HEARTBEAT)
    assert socket.written == ["message:2-0", "message:3-0"]  # before the client's task ran again
    sub.close(End.DISCONNECTED)
    assert await task is End.DISCONNECTED


async def test_replay_and_live_overlap_once() -> None:
    sub, socket = Subscription(("r",), limit=4), Socket()
    sub.anchor("r", (0, 0))
    delivery = Delivery(sub, encode, socket.write, join)
    sub.push(message(2))  # live, while the replay is read
    await delivery.send([message(1), message(2)])
    task = asyncio.create_task(delivery.run())
    await asyncio.sleep(0)
    sub.close(End.DONE)
    await task
    assert socket.written == ["message:1-0+message:2-0"]


async def test_events_wait_in_order_behind_a_write_that_waits_for_the_socket() -> None:
    sub, socket = Subscription(("r",), limit=10), Socket()
    sub.anchor("r", (0, 0))
    _, task = await start(sub, socket)
    socket.block()
    sub.push(message(1))  # started by the hub, waits for the socket
    sub.push(message(2))
    sub.push(message(3))
    await asyncio.sleep(0)
    assert socket.written == []
    socket.release()
    while len(socket.written) < 2:
        await asyncio.sleep(0)
    assert socket.written == ["message:1-0", "message:2-0+message:3-0"]
    sub.close(End.DONE)
    assert await task is End.DONE


async def test_a_client_stuck_on_a_full_socket_is_cut_as_slow() -> None:
    sub, socket = Subscription(("r",), limit=2), Socket()
    sub.anchor("r", (0, 0))
    _, task = await start(sub, socket)
    socket.block()
    for n in range(1, 5):
        sub.push(message(n))
    assert await asyncio.wait_for(task, 5) is End.SLOW
    assert socket.abandoned and socket.written == []
    assert not task.cancelled() and task.cancelling() == 0


async def test_a_stuck_write_of_the_clients_own_task_is_cut_too() -> None:
    sub, socket = Subscription(("r",), limit=1), Socket()
    sub.anchor("r", (0, 0))
    _, task = await start(sub, socket)
    socket.block()
    sub.push(message(1))
    await asyncio.sleep(0)  # the client's task now waits in the write
    sub.push(message(2))
    sub.push(message(3))
    assert await asyncio.wait_for(task, 5) is End.SLOW
    assert socket.abandoned


async def test_a_server_stopping_mid_write_is_a_shutdown_not_a_slow_client() -> None:
    sub, socket = Subscription(("r",), limit=10), Socket()
    sub.anchor("r", (0, 0))
    _, task = await start(sub, socket)
    socket.block()
    sub.push(message(1))
    await asyncio.sleep(0)
    task.cancel()
    assert await task is End.SHUTDOWN
    assert sub.reason is End.SHUTDOWN


async def test_an_eager_write_left_unfinished_is_closed_when_the_stream_ends() -> None:
    sub, socket = Subscription(("r",), limit=10), Socket()
    sub.anchor("r", (0, 0))
    delivery = Delivery(sub, encode, socket.write, join)
    task = asyncio.create_task(delivery.run())
    await asyncio.sleep(0)
    socket.block()
    sub.push(message(1))
    sub.close(End.EXPIRED)  # before the client's task ever resumed the write
    assert await task is End.EXPIRED
    assert socket.abandoned and socket.written == []


async def test_a_failing_write_ends_the_stream_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    sub = Subscription(("r",), limit=10)
    sub.anchor("r", (0, 0))

    async def broken(_: str) -> None:
        raise ValueError("cannot encode")

    delivery: Delivery[str] = Delivery(sub, encode, broken, join)
    task = asyncio.create_task(delivery.run())
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, "api.transport.delivery"):
        sub.push(message(1))
        assert await task is End.ERROR
    assert "cannot encode" in caplog.text


@pytest.mark.parametrize("gone", [WebSocketDisconnect(1006), ConnectionResetError("reset"), BrokenPipeError()])
@pytest.mark.parametrize("eager", [True, False], ids=["written-at-once", "finished-by-its-task"])
async def test_a_client_gone_during_a_write_is_a_disconnection_not_an_error(
    gone: Exception, eager: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # A WebSocket client that closes while an event is on its way makes the write raise.
    sub = Subscription(("r",), limit=10)
    sub.anchor("r", (0, 0))
    socket = Socket()

    async def write(payload: str) -> None:
        await socket.write(payload)
        raise gone

    delivery: Delivery[str] = Delivery(sub, encode, write, join)
    if not eager:
        socket.block()
    task = asyncio.create_task(delivery.run())
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, "api.transport.delivery"):
        sub.push(message(1))
        if not eager:
            await asyncio.sleep(0)
            socket.release()
        assert await task is End.DISCONNECTED
    assert socket.written == ["message:1-0"] and sub.reason is End.DISCONNECTED
    assert caplog.text == ""


async def test_a_stream_ends_after_its_maximum_duration() -> None:
    sub = Subscription(("r",), limit=10)
    sub.anchor("r", (0, 0))
    _, task = await start(sub, Socket(), max_seconds=0.01)
    assert await asyncio.wait_for(task, 5) is End.EXPIRED
