"""The hub's backend on a Redis Cluster: sharded pub/sub (Redis 7+), never PSUBSCRIBE.

Each room's channel (and each person's own channel) is SSUBSCRIBEd on the shard that owns its
slot, over one subscriber connection per shard, while some local client follows it. When a slot
moves (a migration, a failover), the shard that lost it ends its channels' subscriptions
(`sunsubscribe`): the backend finds the new owner, subscribes there, and tells the hub to catch
that room up from its stream (a `resync` event), which covers whatever was published meanwhile
on a shard this process did not listen to. Any other failure of a shard's connection fails the
backend as a whole: the hub reconnects every shard and catches every room up.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.crc import key_slot
from redis.exceptions import RedisError

from api.broker import keys
from api.broker.backend import RESYNC, stored_after
from api.broker.store import MessageStore
from api.wire import envelope
from api.wire.events import Event
from api.wire.ids import StreamKey

logger = logging.getLogger(__name__)

Node = tuple[str, int]


def channel_of(room: str) -> str:
    """The live channel of a room, or of a person (USER_ROOM + user id)."""
    if room.startswith(keys.USER_ROOM):
        return keys.user_live(room[len(keys.USER_ROOM) :])
    return keys.live(room)


@dataclass
class _Moved:
    channel: str


@dataclass
class _Shard:
    node: Node
    client: Redis
    pubsub: PubSub
    reader: asyncio.Task[None] | None = None
    channels: set[str] = field(default_factory=set)


class ShardedPubSub:
    """SSUBSCRIBE per channel, on one connection per shard (see the module's docstring)."""

    follows_all = False

    def __init__(self, url: str, store: MessageStore, timeout: float) -> None:
        parsed = urlparse(url)
        self._seeds: list[Node] = [(parsed.hostname or "127.0.0.1", parsed.port or 6379)]
        self._password = parsed.password
        self._username = parsed.username
        self._ssl = parsed.scheme == "rediss"
        self._store = store
        self._timeout = timeout
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._owners: list[Node] = []
        self._shards: dict[Node, _Shard] = {}
        self._wanted: dict[str, str] = {}  # channel -> room
        self._pending: dict[str, asyncio.Future[None]] = {}
        self._queue: asyncio.Queue[Event | _Moved | BaseException] = asyncio.Queue()

    def _client(self, node: Node) -> Redis:
        return Redis(
            host=node[0],
            port=node[1],
            username=self._username,
            password=self._password,
            ssl=self._ssl,
            decode_responses=True,
            socket_connect_timeout=self._timeout,
            socket_timeout=None,  # waits indefinitely for the next event
            socket_keepalive=True,
        )

    async def _refresh_slots(self) -> None:
        """Reads which node owns which slots (CLUSTER SLOTS), from the first node that answers."""
        failure: Exception | None = None
        for node in [*self._seeds, *self._shards]:
            client = Redis(
                host=node[0],
                port=node[1],
                username=self._username,
                password=self._password,
                ssl=self._ssl,
                socket_timeout=self._timeout,
            )
            try:
                ranges: Any = await client.execute_command("CLUSTER SLOTS")  # type: ignore[no-untyped-call]
            except (RedisError, OSError) as exc:
                failure = exc
                continue
            finally:
                await client.aclose()
            table = sorted((int(r[0]), int(r[1]), (_text(r[2][0]) or node[0], int(r[2][1]))) for r in ranges)
            self._starts = [start for start, _, _ in table]
            self._ends = [end for _, end, _ in table]
            self._owners = [owner for _, _, owner in table]
            self._seeds = list(dict.fromkeys([*self._owners, *self._seeds]))
            return
        raise failure or RedisError("no cluster node answered")

    def _owner(self, channel: str) -> Node:
        slot = key_slot(channel.encode())
        index = bisect.bisect_right(self._starts, slot) - 1
        if index < 0 or slot > self._ends[index]:
            raise RedisError(f"no node owns the slot of {channel}")
        return self._owners[index]

    async def _shard(self, node: Node) -> _Shard:
        shard = self._shards.get(node)
        if shard is None:
            client = self._client(node)
            shard = self._shards[node] = _Shard(node, client, client.pubsub())
        return shard

    async def _subscribe(self, channels: list[str]) -> None:
        """SSUBSCRIBEs each channel on its owner and returns once every owner confirmed. One
        SSUBSCRIBE names channels of one slot only."""
        loop = asyncio.get_running_loop()
        by_slot: dict[int, list[str]] = {}
        for channel in channels:
            by_slot.setdefault(key_slot(channel.encode()), []).append(channel)
        waits = []
        for group in by_slot.values():
            shard = await self._shard(self._owner(group[0]))
            for channel in group:
                self._pending[channel] = future = loop.create_future()
                waits.append(future)
                shard.channels.add(channel)
            await shard.pubsub.ssubscribe(*group)
            if shard.reader is None:
                shard.reader = asyncio.create_task(self._read(shard), name=f"hub-shard-{shard.node[1]}")
        async with asyncio.timeout(self._timeout):
            await asyncio.gather(*waits)

    async def _read(self, shard: _Shard) -> None:
        try:
            while True:
                msg = await shard.pubsub.get_message(timeout=None)
                if msg is not None:
                    self._on_message(shard, msg)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            for channel in shard.channels:
                future = self._pending.pop(channel, None)
                if future is not None and not future.done():
                    future.set_exception(exc)
            self._queue.put_nowait(exc)

    def _on_message(self, shard: _Shard, msg: dict[str, Any]) -> None:
        kind, channel = msg["type"], _text(msg.get("channel"))
        if kind == "smessage":
            try:
                self._queue.put_nowait(envelope.decode(keys.room_of_channel(channel), msg["data"]))
            except ValueError:
                logger.warning("ignoring a malformed event on %s", channel)
        elif kind == "ssubscribe":
            future = self._pending.pop(channel, None)
            if future is not None and not future.done():
                future.set_result(None)
        elif kind == "sunsubscribe" and channel in shard.channels:
            # Not asked for (remove_rooms forgets the channel first): its slot left this shard.
            shard.channels.discard(channel)
            self._queue.put_nowait(_Moved(channel))

    async def connect(self, rooms: list[str]) -> None:
        await self.disconnect()
        self._queue = asyncio.Queue()
        await self._refresh_slots()
        self._wanted = {channel_of(room): room for room in rooms}
        if self._wanted:
            await self._subscribe(list(self._wanted))

    async def add_rooms(self, rooms: list[str]) -> None:
        channels = [channel_of(room) for room in rooms]
        self._wanted.update(zip(channels, rooms, strict=True))
        await self._subscribe(channels)

    async def remove_rooms(self, rooms: list[str]) -> None:
        for room in rooms:
            channel = channel_of(room)
            self._wanted.pop(channel, None)
            for shard in list(self._shards.values()):
                if channel not in shard.channels:
                    continue
                shard.channels.discard(channel)
                if shard.channels or channel in self._pending:
                    await shard.pubsub.sunsubscribe(channel)
                elif self._shards.get(shard.node) is shard:
                    # Its last channel: the connection goes back to the cluster's connection
                    # budget (it is made again for the next channel of that shard).
                    del self._shards[shard.node]
                    await _close(shard)

    async def next_event(self, idle_seconds: float) -> Event | None:
        while True:
            try:
                async with asyncio.timeout(idle_seconds):
                    item = await self._queue.get()
            except TimeoutError:
                # Idle: make sure every shard's connection is still there rather than half-open.
                for shard in list(self._shards.values()):
                    if self._shards.get(shard.node) is shard:  # not closed meanwhile (remove_rooms)
                        await shard.pubsub.ping()
                return None
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, _Moved):
                room = self._wanted.get(item.channel)
                if room is None:
                    continue
                logger.info("the channel %s moved to another shard: subscribing there", item.channel)
                await self._refresh_slots()
                await self._subscribe([item.channel])
                return Event(room, RESYNC, "{}")
            return item

    def catch_up(self, room: str, after: StreamKey) -> AsyncIterator[Event]:
        return stored_after(self._store, room, after)

    async def disconnect(self) -> None:
        shards, self._shards = self._shards, {}
        for future in self._pending.values():
            if not future.done():
                future.set_exception(RedisError("disconnected"))
        self._pending = {}
        for shard in shards.values():
            await _close(shard)

    async def close(self) -> None:
        await self.disconnect()


async def _close(shard: _Shard) -> None:
    if shard.reader is not None:
        shard.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await shard.reader
    with contextlib.suppress(RedisError, OSError):
        await shard.pubsub.aclose()  # type: ignore[no-untyped-call]
    with contextlib.suppress(RedisError, OSError):
        await shard.client.aclose()


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
