"""Side by side with Node's socket.io (`scripts.bench --peer node`): the same measurements of this
project and of the socket.io "get started" chat with the Redis adapter (scripts/peer.py), each
server on its own redis-server, pinned to the same CPU, alternating round by round.

Rows, for each server (medians over --rounds, with the range):
- fan-out at each --peer-clients N: N subscribers, --messages at --rate; server CPU (the server
  process only, user + kernel, from the first send until every delivery arrived) / deliveries,
  and p99 latency (send to receipt); beside them, as context, p50, and the CPU per delivery of
  the load generator and of the server's Redis (both on the other CPU: when the load generator
  needs about as long as the server, the latency is as much the harness's as the server's);
- closed loop: 100 subscribers, one sender sending the next message when the last is
  acknowledged (POST 201 here, the socket.io acknowledgement there) for --closed-seconds:
  deliveries/s and server CPU per delivery, the send included;
- connecting: --connects clients opened (100 at a time per load generator) into a fresh server,
  connections per second until the last is ready (SSE `ready` event, socket.io CONNECT);
- idle memory: then --idle clients in all, the server's RSS growth divided by them;
- a burst: --burst sends at once, each on its own connection: the most connections to its Redis
  the server held meanwhile.
Subscribers here are SSE streams (anonymous, one room); there socket.io clients over WebSocket.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]
import redis.asyncio

from scripts import bench_client, peer
from scripts.embedded_redis import RedisServer, free_port

Sender = peer.HttpSender | peer.EioSender
# figure -> (label, lower is better)
ROWS: dict[str, tuple[str, bool]] = {}


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--peer", choices=["node"], help="side by side with Node's socket.io (see scripts/versus.py)")
    p.add_argument("--peer-clients", default="1000,2000", help="fan-out sizes with --peer (default 1000,2000)")
    p.add_argument("--rounds", type=int, default=3, help="rounds with --peer, alternating who goes first (default 3)")
    p.add_argument("--closed-seconds", type=float, default=5.0, help="closed-loop duration with --peer (default 5)")
    p.add_argument("--connects", type=int, default=2000, help="connections timed with --peer (default 2000)")
    p.add_argument("--idle", type=int, default=10000, help="idle connections with --peer (default 10000)")
    p.add_argument("--burst", type=int, default=200, help="concurrent sends with --peer (default 200)")


class Server:
    """One server under test on its own redis-server, pinned to `cpu`."""

    def __init__(self, kind: str, app: str, cpu: list[int], stack: contextlib.ExitStack) -> None:
        from scripts import bench

        self.kind, self.room = kind, f"bench-{os.getpid()}"
        redis_server = RedisServer(Path(stack.enter_context(tempfile.TemporaryDirectory()))).start()
        stack.callback(redis_server.stop)
        self.redis_url = redis_server.url
        assert redis_server.process is not None
        self.redis = psutil.Process(redis_server.process.pid)
        self.port = free_port()
        if kind == "python":
            process = bench.start_server(app, redis_server.url, self.port, stack)
            self.headers = bench.sign_in(f"http://127.0.0.1:{self.port}", 1)[0]
        else:
            process = peer.start_node(self.port, redis_server.url, stack)
            self.headers = {}
        self.process = psutil.Process(process.pid)
        if cpu:
            self.process.cpu_affinity(cpu)
        self.flag: bool | str = False if kind == "python" else "eio"

    def sender(self) -> Sender:
        if self.kind == "python":
            return peer.HttpSender(self.port, self.room, self.headers)
        return peer.EioSender(self.port)

    def cpu(self) -> float:
        return float(sum(self.process.cpu_times()[:2]))

    def kernel_cpu(self) -> float:
        return float(self.process.cpu_times().system)

    def redis_cpu(self) -> float:
        return float(sum(self.redis.cpu_times()[:2]))

    def rss(self) -> int:
        return int(self.process.memory_info().rss)


async def _send(sender: Sender, count: int, rate: float | None, seconds: float | None) -> list[int]:
    """Sends "b <seq> <time>" at `rate` (or back to back, each after the last's acknowledgement)."""
    await sender.open()
    acked, start = [], time.perf_counter()
    try:
        for seq in range(count):
            if rate:
                await asyncio.sleep(max(0.0, start + seq / rate - time.perf_counter()))
            elif seconds and time.perf_counter() - start > seconds:
                break
            if await sender.send(f"b {seq} {time.time():.6f}"):
                acked.append(seq)
    finally:
        await sender.close()
    return acked


async def _warm(sender: Sender) -> None:
    """One message first: scripts loaded, code paths taken once (not matched as a "b" message)."""
    await sender.open()
    await sender.send("warm-up")
    await sender.close()


def deliver(server: Server, clients: int, count: int, rate: float | None, seconds: float | None) -> dict[str, float]:
    with contextlib.ExitStack() as stack:
        load = bench_client.LoadGen(2, server.port, server.room, clients + 1024, stack)
        load.ask("open", [[server.flag] * (clients // 2), [server.flag] * (clients - clients // 2)])
        asyncio.run(_warm(server.sender()))
        time.sleep(0.5)
        received0 = sum(load.ask("count"))
        cpu0, sys0, t0 = server.cpu(), server.kernel_cpu(), time.perf_counter()
        load0, redis0 = load.cpu(), server.redis_cpu()
        acked = asyncio.run(_send(server.sender(), count, rate, seconds))
        deadline = time.monotonic() + 10
        while sum(load.ask("count")) - received0 < clients * len(acked) and time.monotonic() < deadline:
            time.sleep(0.02)
        cpu, window = server.cpu() - cpu0, time.perf_counter() - t0
        kernel = server.kernel_cpu() - sys0
        harness, store = load.cpu() - load0, server.redis_cpu() - redis0
        reports = load.ask("report", [set(acked)] * 2)
    deliveries = sum(rep[0] for rep in reports) - received0
    latencies = sorted(x for rep in reports for x in rep[5])
    p50, p99 = (latencies[int(q * (len(latencies) - 1))] * 1000 if latencies else float("nan") for q in (0.5, 0.99))
    return {
        "cpu_us": cpu / max(deliveries, 1) * 1e6,
        "kernel_us": kernel / max(deliveries, 1) * 1e6,
        "load_us": harness / max(deliveries, 1) * 1e6,
        "redis_us": store / max(deliveries, 1) * 1e6,
        "p50_ms": p50,
        "p99_ms": p99,
        "per_s": deliveries / window,
        "lost": sum(rep[1] for rep in reports),
    }


def connect_and_idle(server: Server, connects: int, idle: int) -> dict[str, float]:
    with contextlib.ExitStack() as stack:
        load = bench_client.LoadGen(2, server.port, server.room, idle + 1024, stack)
        time.sleep(0.5)
        rss0, t0 = server.rss(), time.perf_counter()
        opened = load.ask("open", [[server.flag] * (connects // 2), [server.flag] * (connects - connects // 2)])
        rate = sum(n for n, _, _ in opened) / (time.perf_counter() - t0)
        rest = idle - connects
        opened = load.ask("open", [[server.flag] * (rest // 2), [server.flag] * (rest - rest // 2)])
        total = sum(n for n, _, _ in opened)
        time.sleep(2.0)
        rss1 = server.rss()
    return {"connects_per_s": rate, "idle_kb": (rss1 - rss0) / max(total, 1) / 1024, "idle_open": total}


def burst(server: Server, count: int) -> dict[str, float]:
    """`count` sends at once, each on its own connection (their clients opened first): the most
    Redis connections the server held meanwhile (its own Redis's clients, less this probe)."""

    async def run() -> float:
        if server.kind == "python":
            senders: list[Sender] = [peer.HttpSender(server.port, server.room, server.headers) for _ in range(count)]
        else:
            senders = [peer.EioSender(server.port) for _ in range(count)]
        await asyncio.gather(*(sender.open() for sender in senders))
        probe = redis.asyncio.Redis.from_url(server.redis_url)
        peak, done = 0, asyncio.Event()

        async def watch() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, int((await probe.info("clients"))["connected_clients"]) - 1)
                await asyncio.sleep(0.002)

        watcher = asyncio.create_task(watch())
        try:
            results = await asyncio.gather(*(sender.send(f"burst {i}") for i, sender in enumerate(senders)))
        finally:
            done.set()
            await watcher
            await probe.aclose()
            await asyncio.gather(*(sender.close() for sender in senders))
        assert all(results), "a send of the burst failed"
        return float(peak)

    return {"burst_connections": asyncio.run(run())}


def run(args: argparse.Namespace) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu = cpus[:1] if len(cpus) >= 2 and not args.no_pin else []
    if server_cpu:
        os.sched_setaffinity(0, cpus[1:])
    bench_client.raise_nofile(args.idle * 2 + 2048)
    peer.install()
    sizes = [int(n) for n in args.peer_clients.split(",") if n]
    results: dict[str, dict[str, list[float]]] = {"python": {}, "node": {}}

    def record(kind: str, figures: dict[str, float], suffix: str = "") -> None:
        for name, value in figures.items():
            results[kind].setdefault(name + suffix, []).append(value)

    for round_ in range(args.rounds):
        for kind in ("python", "node") if round_ % 2 == 0 else ("node", "python"):
            print(f"round {round_ + 1}: {kind} ...", flush=True)
            for n in sizes:
                with contextlib.ExitStack() as stack:
                    server = Server(kind, args.app, server_cpu, stack)
                    record(kind, deliver(server, n, args.messages, args.rate, None), f"@{n}")
            with contextlib.ExitStack() as stack:
                server = Server(kind, args.app, server_cpu, stack)
                record(kind, deliver(server, 100, 10**9, None, args.closed_seconds), "@closed")
            with contextlib.ExitStack() as stack:
                server = Server(kind, args.app, server_cpu, stack)
                record(kind, connect_and_idle(server, args.connects, args.idle))
            with contextlib.ExitStack() as stack:
                server = Server(kind, args.app, server_cpu, stack)
                record(kind, burst(server, args.burst))
    show(results, sizes, args)


def show(results: dict[str, dict[str, list[float]]], sizes: list[int], args: argparse.Namespace) -> None:
    two, none = "{:.2f}".format, "{:,.0f}".format
    # lower: True for a cost, False for a rate, None for context that is not the server's own
    # figure (the harness's CPU and its Redis's, on the other CPU): no "ahead" for those.
    rows: list[tuple[str, str, bool | None, Callable[[float], str]]] = []
    one = "{:.1f}".format
    for n in sizes:
        rows.append((f"server CPU per delivery, {n} subscribers, {args.rate:g} msg/s (µs)", f"cpu_us@{n}", True, two))
        rows.append(("  of which in the kernel (µs)", f"kernel_us@{n}", None, two))
        rows.append(("p99 latency, same run (ms)", f"p99_ms@{n}", True, one))
        rows.append(("  p50 latency (ms)", f"p50_ms@{n}", None, one))
        rows.append(("  load generator's CPU per delivery (µs)", f"load_us@{n}", None, two))
        rows.append(("  its Redis's CPU per delivery (µs)", f"redis_us@{n}", None, two))
    rows.append(("closed loop, 100 subscribers: CPU per delivery (µs)", "cpu_us@closed", True, two))
    rows.append(("closed loop, 100 subscribers: deliveries/s", "per_s@closed", False, none))
    rows.append(("  load generator's CPU per delivery (µs)", "load_us@closed", None, two))
    rows.append(("  its Redis's CPU per delivery (µs)", "redis_us@closed", None, two))
    rows.append((f"memory per idle connection, {args.idle:,} idle (KB)", "idle_kb", True, "{:.1f}".format))
    rows.append((f"connections opened per second ({args.connects:,})", "connects_per_s", False, none))
    rows.append((f"Redis connections during a burst of {args.burst} sends", "burst_connections", True, none))
    print(f"\nmedians of {args.rounds} rounds [range]; ratio = this project / Node", end=" ")
    print("(ahead: lower for costs, higher for rates)")
    print(f"{'':<62}{'this project (SSE)':>24}{'Node socket.io':>24}{'ratio':>8}  ahead")
    figures: dict[str, Any] = {}
    for label, key, lower, fmt in rows:
        ours, theirs = results["python"].get(key, []), results["node"].get(key, [])
        if not ours or not theirs:
            continue
        a, b = statistics.median(ours), statistics.median(theirs)
        ahead = "" if lower is None else "yes" if ((a <= b) if lower else (a >= b)) else "NO"
        cells = [f"{fmt(m)} [{fmt(min(xs))}-{fmt(max(xs))}]" for xs, m in ((ours, a), (theirs, b))]
        print(f"{label:<62}{cells[0]:>24}{cells[1]:>24}{a / b if b else float('nan'):>8.2f}  {ahead}")
        figures[key] = {"python": ours, "node": theirs}
    lost = sum(sum(v) for k, v in results["python"].items() if k.startswith("lost"))
    print(f"lost deliveries (this project, all rounds): {lost:.0f}")
    if args.json:
        import json

        print(json.dumps(figures))
