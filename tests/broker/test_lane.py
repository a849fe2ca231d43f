"""A room's lane on real sockets: members up to date and idle are written at once, each client
still gets every event once and in order, and whoever leaves is told where it stands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

import pytest

from api.broker.fanout import fan_out
from api.broker.lane import Lane
from api.broker.subscription import End, Subscription
from api.wire.events import Event
from api.wire.ids import StreamKey
from tests.helpers import eventually


def message(n: int) -> Event:
    return Event("r", "message", f'{{"n":{n}}}', f"{n}-0")


def frame(event: Event) -> bytes:
    return event.sse()


class Reader(asyncio.Protocol):
    """The client's end of a real socket: what arrived, and a switch to stop reading."""

    def __init__(self) -> None:
        self.received = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received += data

    def ids(self) -> list[str]:
        return [line[4:] for line in self.received.decode().splitlines() if line.startswith("id: ")]


class Client:
    """A subscription whose delivery writes to a real socket, and may ride the lane."""

    def __init__(self, transport: asyncio.WriteTransport, reader: Reader) -> None:
        self.transport = transport
        self.reader = reader
        self.sub = Subscription(("r",), limit=1000)
        self.sub.anchor("r", (0, 0))
        self.lefts: list[tuple[StreamKey, int]] = []
        self.written = 0
        self.frame: Callable[[Event], bytes] = frame
        self.sub.listen(self.offer, None, self)

    @property
    def idle(self) -> bool:
        return True

    def offer(self, event: Event) -> bool:
        if self.transport.get_write_buffer_size():
            return False  # waits in the subscription's queue
        self.transport.write(event.sse())
        self.written += 1
        return True

    async def flush(self) -> None:
        """What the client's own task does once its socket drains: writes what was queued."""
        self.sub.wake()
        for event in await self.sub.get():
            self.transport.write(event.sse())
            self.written += 1

    def left(self, room: str, last: StreamKey, written: int) -> None:
        self.lefts.append((last, written))


Connect = Callable[[], Awaitable[Client]]


def drained(client: Client) -> bool:
    return not client.transport.get_write_buffer_size()


def has(client: Client, count: int) -> bool:
    return len(client.reader.ids()) == count


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    loop = asyncio.get_running_loop()
    readers: list[Reader] = []

    def accepted() -> Reader:
        reader = Reader()
        readers.append(reader)
        return reader

    server = await loop.create_server(accepted, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    clients: list[Client] = []

    async def one() -> Client:
        transport, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
        await eventually(lambda: len(readers) == len(clients) + 1, what="the connection accepted")
        client = Client(transport, readers[-1])
        clients.append(client)
        return client

    yield one
    for client in clients:
        client.transport.close()
    server.close()
    await server.wait_closed()


async def test_members_are_written_by_the_lane_once_each_in_order(
    connect: Connect,
) -> None:
    clients = [await connect() for _ in range(70)]  # more than a slice
    lanes: dict[str, Lane] = {}
    subs = [c.sub for c in clients]
    await fan_out(lanes, subs, message(1))  # the ordinary way; then each joins the lane
    lane = lanes["r"]
    assert set(lane.members) == set(subs) and lane.last == (1, 0)
    for n in (2, 3, 2, 1, 4):  # an event again (a catch-up's overlap) is not written twice
        await fan_out(lanes, subs, message(n))
    assert all(c.written == 1 for c in clients)  # the rest came through the lane
    for c in clients:
        await eventually(partial(has, c, 4), what="every event at the client")
        assert c.reader.ids() == ["1-0", "2-0", "3-0", "4-0"]
    c = clients[0]
    assert lane.share(c.sub) == 3
    c.sub.close(End.DONE)  # leaving: told where it stands and how many the lane wrote it
    assert c.lefts == [((4, 0), 3)] and c.sub not in lane.members
    await fan_out(lanes, subs, message(5))
    assert c.reader.ids()[-1] == "4-0"


async def test_a_member_whose_socket_is_full_falls_out_and_misses_nothing(
    connect: Connect,
) -> None:
    slow, fast = await connect(), await connect()
    lanes: dict[str, Lane] = {}
    subs = [slow.sub, fast.sub]
    await fan_out(lanes, subs, message(1))
    assert set(lanes["r"].members) == set(subs)
    assert slow.reader.transport is not None
    slow.reader.transport.pause_reading()
    big = "x" * 100_000
    n = 1
    while not slow.transport.get_write_buffer_size():
        n += 1
        await fan_out(lanes, subs, Event("r", "message", f'{{"n":{n},"t":"{big}"}}', f"{n}-0"))
    # Event n filled the socket: the next finds it full and comes the ordinary way (queued), and
    # so does everything after.
    assert slow.sub in lanes["r"].members
    await fan_out(lanes, subs, message(n + 1))
    assert slow.sub not in lanes["r"].members and slow.lefts == [((n, 0), n - 1)]
    await fan_out(lanes, subs, message(n + 2))
    assert [e.id for e in slow.sub._queue] == [f"{n + 1}-0", f"{n + 2}-0"]
    slow.reader.transport.resume_reading()
    for client in (slow, fast):
        await eventually(partial(drained, client), what="the socket drained")
        await client.flush()
    expected = [f"{i}-0" for i in range(1, n + 3)]
    await eventually(lambda: slow.reader.ids() == expected, what="every event, in order, once")
    await eventually(lambda: fast.reader.ids() == expected, what="every event at the fast client")


async def test_a_member_revoked_gets_its_notice_and_nothing_more(
    connect: Connect,
) -> None:
    client = await connect()
    lanes: dict[str, Lane] = {}
    await fan_out(lanes, [client.sub], message(1))
    await fan_out(lanes, [client.sub], message(2))
    client.sub.revoke("r", Event("r", "access", '{"readable":false}'))
    assert client.sub not in lanes["r"].members and client.lefts == [((2, 0), 1)]
    await fan_out(lanes, [client.sub], message(3))
    await eventually(lambda: b"event: access" in client.reader.received, what="the notice")
    assert client.reader.ids() == ["1-0", "2-0"]


async def test_a_dissolved_lane_leaves_each_client_where_it_stands(
    connect: Connect,
) -> None:
    client = await connect()
    lanes: dict[str, Lane] = {}
    for n in (1, 2, 3):
        await fan_out(lanes, [client.sub], message(n))
    lanes.pop("r").dissolve()  # a catch-up after the subscriber was away gives the rest
    assert client.sub.lane is None and client.sub.queued["r"] == (3, 0)
    for n in (2, 3, 4):  # what the catch-up reads again is dropped by the subscription
        client.sub.push(message(n))
    await eventually(lambda: client.reader.ids() == ["1-0", "2-0", "3-0", "4-0"], what="each event once")
