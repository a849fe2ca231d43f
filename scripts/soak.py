"""Soak mode of scripts/bench.py (`--soak MINUTES`): clients connect and leave all along while
messages flow, and nothing may be lost, repeated or kept.

Each of the `--clients` slots is a client that stays connected for 1-20 s, leaves (closes its
socket) for up to 2 s and comes back resuming from the last id it saw, as EventSource does (over
WebSocket: `?last_event_id=`); one leave in five is for good, and a new client takes the slot.
Meanwhile `--rate` messages per second are sent. When the time is up, the churn stops, every
client reconnects and stays, and each must have been sent every accepted message after the
position it started at (up to where it was when it left for good), exactly once: a lost message
or a duplicate is counted, and so is a `reset` (a resume refused).

The server's RSS is read when every client is first connected, after a warm-up of churn (the
start: a fifth of the run, at most a minute), every minute, and at the end of the sending, in the
same churn (the end): flat means the end within 10 % of the start.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]
import uvloop
from prometheus_client.parser import text_string_to_metric_families

from scripts import bench_client

STAY_SECONDS = (1.0, 20.0)
AWAY_SECONDS = (0.0, 2.0)
RETIRE_SHARE = 0.2
MESSAGE = re.compile(rb'"id":"(\d+)-(\d+)","ts":\d+[^\n]*?"text":"b (\d+) ')
POSITION = re.compile(rb'"type":"(ready|reset)","room":"[^"]*","id":"(\d+)-(\d+)"|event: (ready|reset)\ndata: '
                      rb'\{"room":"[^"]*","id":"(\d+)-(\d+)"')  # fmt: skip

Key = tuple[int, int]


@dataclass
class Span:
    """What one client (a slot's occupant from its first connection to leaving for good) got."""

    start: Key | None = None
    position: Key | None = None
    seqs: list[int] = field(default_factory=list)
    resets: int = 0

    def take(self, chunk: bytes) -> None:
        for match in POSITION.finditer(chunk):
            kind, ms, seq = (match[1], match[2], match[3]) if match[1] else (match[4], match[5], match[6])
            key = (int(ms), int(seq))
            if self.start is None:
                self.start = key
            if kind == b"reset":
                self.resets += 1
            self.position = key if self.position is None else max(self.position, key)
        for match in MESSAGE.finditer(chunk):
            key = (int(match[1]), int(match[2]))
            self.seqs.append(int(match[3]))
            self.position = key if self.position is None else max(self.position, key)


class Connection(bench_client.Subscriber):
    """One connection of a client: the bench's raw-socket subscriber, feeding the client's span."""

    def __init__(self, request: bytes, ws: bool, totals: bench_client.Totals, span: Span) -> None:
        super().__init__(request, ws, totals)
        self.span = span
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ready.add_done_callback(lambda ready: ready.cancelled() or ready.exception())  # seen, if late

    def _deliver(self, chunk: bytes) -> None:
        if not self.ready.done():
            self.ready.set_result(None)  # the answer's head was 200 (101): it is connected
        self.span.take(chunk)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if not self.ended.done():
            self.ended.set_result(None)

    def leave(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()


def _request(port: int, room: str, ws: bool, position: Key | None) -> bytes:
    after = f"{position[0]}-{position[1]}" if position else None
    if not ws:
        resume = f"Last-Event-ID: {after}\r\n" if after else ""
        return (
            f"GET /api/rooms/{room}/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Accept: text/event-stream\r\n{resume}\r\n"
        ).encode()
    query = f"?last_event_id={after}" if after else ""
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET /api/rooms/{room}/ws{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


class Slot:
    """A client that comes and goes; its spans are the clients that held the slot in turn."""

    def __init__(self, port: int, room: str, ws: bool, totals: bench_client.Totals, rng: random.Random) -> None:
        self.port, self.room, self.ws, self.totals, self.rng = port, room, ws, totals, rng
        self.span = Span()
        self.spans = [self.span]
        self.connects = self.leaves = self.failures = 0
        self.conn: Connection | None = None

    async def connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        while True:
            request = _request(self.port, self.room, self.ws, self.span.position)
            try:
                make = functools.partial(Connection, request, self.ws, self.totals, self.span)
                _, conn = await loop.create_connection(make, "127.0.0.1", self.port)
            except OSError:
                self.failures += 1
                await asyncio.sleep(0.5)
                continue
            try:
                # Shielded: a late answer must find the future pending, not cancelled.
                await asyncio.wait_for(asyncio.shield(conn.ready), 30)
            except (ConnectionError, TimeoutError):  # refused (503, 429), or no answer in time
                conn.leave()
                self.failures += 1
                await asyncio.sleep(0.5)
                continue
            self.connects += 1
            self.conn = conn
            return conn

    async def churn(self, stop: asyncio.Event) -> None:
        """Comes and goes until `stop`; then stays connected."""
        rng = self.rng
        while not stop.is_set():
            conn = self.conn if self.conn is not None and not self.conn.ended.done() else await self.connect()
            stay = asyncio.ensure_future(asyncio.sleep(rng.uniform(*STAY_SECONDS)))
            halt = asyncio.ensure_future(stop.wait())
            await asyncio.wait((stay, halt, conn.ended), return_when=asyncio.FIRST_COMPLETED)
            stay.cancel()
            halt.cancel()
            if stop.is_set():
                break
            if not conn.ended.done():
                conn.leave()
                self.leaves += 1
                if rng.random() < RETIRE_SHARE:  # gone for good; someone new takes the place
                    self.span = Span()
                    self.spans.append(self.span)
            self.conn = None
            await asyncio.sleep(rng.uniform(*AWAY_SECONDS))
        if self.conn is None or self.conn.ended.done():
            await self.connect()


@dataclass
class Tally:
    owed: int = 0  # deliveries owed: for each client, the accepted messages it should have had
    lost: int = 0
    duplicated: int = 0
    resets: int = 0
    unchecked: int = 0  # clients that never learnt where they stood (never connected)


def tally(slots: list[Slot], acked: dict[int, Key]) -> Tally:
    """Over every client that held a slot: each is owed the accepted messages after where it
    started, up to where it was when it left (the last of a slot, still connected: all of them)."""
    t = Tally()
    newest = max(acked.values(), default=(0, 0))
    for slot in slots:
        for span in slot.spans:
            t.resets += span.resets
            t.duplicated += len(span.seqs) - len(set(span.seqs))
            if span.start is None:
                t.unchecked += 1
                continue
            until = newest if span is slot.span else span.position or span.start
            owed = {seq for seq, key in acked.items() if span.start < key <= until}
            t.owed += len(owed)
            t.lost += len(owed - set(span.seqs))
    return t


def scrape(url: str) -> dict[str, float]:
    """The server's own counts, summed over labels except the transport and reason ones."""
    text = httpx.get(url + "/api/metrics", timeout=10).text
    figures: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("chat_") and not s.name.endswith(("_created", "_bucket")):
                label = s.labels.get("transport") or s.labels.get("reason") or s.labels.get("result")
                figures[s.name + (f"{{{label}}}" if label else "")] = s.value
    return figures


async def _send(url: str, room: str, rate: float, seconds: float, senders: list[dict[str, str]]) -> dict[int, Key]:
    acked: dict[int, Key] = {}
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=httpx.Limits(max_connections=32)) as client:

        async def send(seq: int) -> None:
            body = {"text": f"b {seq} {time.time():.6f}"}
            try:
                reply = await client.post(f"/api/rooms/{room}/messages", json=body, headers=senders[seq % len(senders)])
            except httpx.HTTPError:
                return
            if reply.status_code == 201:
                ms, n = reply.json()["id"].split("-")
                acked[seq] = (int(ms), int(n))

        start, tasks, seq = time.perf_counter(), [], 0
        while (due := start + seq / rate) < start + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(send(seq)))
            seq += 1
        await asyncio.gather(*tasks)
    return acked


def _rss(server: psutil.Process) -> float:
    return round(float(server.memory_info().rss) / 2**20, 1)


async def _soak(args: argparse.Namespace, url: str, port: int, room: str, server: psutil.Process,
                senders: list[dict[str, str]]) -> dict[str, Any]:  # fmt: skip
    seconds = args.soak * 60
    totals, rng = bench_client.Totals(), random.Random(args.seed)
    n_ws = round(args.clients * args.ws)
    slots = [Slot(port, room, i < n_ws, totals, rng) for i in range(args.clients)]
    for i in range(0, len(slots), bench_client.BATCH):
        await asyncio.gather(*(slot.connect() for slot in slots[i : i + bench_client.BATCH]))
    rss: dict[str, float] = {"connected": _rss(server)}
    print(f"{len(slots)} connected, RSS {rss['connected']} MiB; churning for {args.soak:g} min ...", file=sys.stderr)
    stop = asyncio.Event()
    churn = [asyncio.create_task(slot.churn(stop)) for slot in slots]
    cpu0, began = sum(server.cpu_times()[:2]), time.perf_counter()
    sending = asyncio.create_task(_send(url, room, args.rate, seconds, senders))
    warm_up = min(60.0, seconds / 5)
    await asyncio.sleep(warm_up)
    rss["start"] = _rss(server)
    minute = 1
    while not sending.done():
        await asyncio.wait([sending], timeout=max(0.0, began + 60 * minute - time.perf_counter()))
        if not sending.done():
            rss[f"minute_{minute}"] = _rss(server)
            print(f"  minute {minute}: RSS {rss[f'minute_{minute}']} MiB", file=sys.stderr)
            minute += 1
    rss["end"] = _rss(server)
    cpu = sum(server.cpu_times()[:2]) - cpu0
    acked = sending.result()
    stop.set()
    await asyncio.gather(*churn)
    for _ in range(int(max(args.drain_seconds, 30) / 0.2)):  # until every late delivery is in
        if not tally(slots, acked).lost:
            break
        await asyncio.sleep(0.2)
    t = tally(slots, acked)
    figures = {
        "minutes": args.soak,
        "clients": len(slots),
        "ws": n_ws,
        "rate": args.rate,
        "messages_sent": len(acked),
        "send_failures": round(args.rate * seconds) - len(acked),
        "connects": sum(s.connects for s in slots),
        "leaves": sum(s.leaves for s in slots),
        "clients_over_the_run": sum(len(s.spans) for s in slots),
        "cut_by_server": totals.dropped,
        "connect_failures": sum(s.failures for s in slots),
        "deliveries_owed": t.owed,
        "deliveries_received": sum(len(span.seqs) for slot in slots for span in slot.spans),
        "lost": t.lost,
        "duplicated": t.duplicated,
        "resets": t.resets,
        "clients_unchecked": t.unchecked,
        "server_cpu_percent": round(cpu / seconds * 100, 1),
        "rss_mib": rss,
        "rss_growth_percent": round((rss["end"] / rss["start"] - 1) * 100, 1),
        "server_metrics": scrape(url),
    }
    for slot in slots:
        if slot.conn is not None:
            slot.conn.leave()
    await asyncio.sleep(0.2)
    return figures


def run(args: argparse.Namespace, url: str, port: int, room: str, server: psutil.Process,
        senders: list[dict[str, str]]) -> dict[str, Any]:  # fmt: skip
    return uvloop.run(_soak(args, url, port, room, server, senders))


def show(f: dict[str, Any]) -> None:
    print(
        f"\nsoak: {f['minutes']:g} min, {f['clients']} client slots ({f['ws']} WebSocket), {f['rate']:g} messages/s; "
        f"{f['connects']:,} connects, {f['leaves']:,} leaves, {f['clients_over_the_run']:,} clients in all"
    )
    rss = f["rss_mib"]
    flat = abs(f["rss_growth_percent"]) <= 10
    rows = [
        ("messages sent / failed", f"{f['messages_sent']:,} / {f['send_failures']:,}", ""),
        ("deliveries owed / received", f"{f['deliveries_owed']:,} / {f['deliveries_received']:,}", ""),
        ("lost", f"{f['lost']:,}", "0  " + ("ok" if f["lost"] == 0 else "MISSED")),
        ("duplicated", f"{f['duplicated']:,}", "0  " + ("ok" if f["duplicated"] == 0 else "MISSED")),
        ("resets (resume refused)", f"{f['resets']:,}", "0"),
        ("clients never positioned", f"{f['clients_unchecked']:,}", "0"),
        ("cut by the server / connect failures", f"{f['cut_by_server']:,} / {f['connect_failures']:,}", ""),
        ("server CPU %", f"{f['server_cpu_percent']}", ""),
        ("RSS MiB: connected, start, end", f"{rss['connected']}, {rss['start']}, {rss['end']}", ""),
        ("RSS growth start -> end %", f"{f['rss_growth_percent']}", "within 10  " + ("ok" if flat else "MISSED")),
    ]
    for name, value, target in rows:
        print(f"{name:<40}{value:>24}   {target}")
    print("RSS by minute (MiB): " + ", ".join(f"{k} {v}" for k, v in rss.items()))
    print("server's metrics at the end: " + ", ".join(f"{k} {v:g}" for k, v in f["server_metrics"].items()))
