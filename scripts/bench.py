"""Fan-out benchmark: N subscribers in one room of one uvicorn process, M messages at a fixed rate.

    .venv/bin/python -m scripts.bench [--clients 1000] [--rate 20] [--messages 200] [--ws [SHARE]] [--json]
    .venv/bin/python -m scripts.bench --soak MINUTES [--clients N] [--rate R] [--ws [SHARE]]
    .venv/bin/python -m scripts.bench --peer node [--peer-clients 1000,2000] [--rounds 3]

Starts a throwaway redis-server (or uses --redis-url) and one uvicorn process (uvloop, httptools),
opens the subscribers from load-generator processes (scripts/bench_client.py), counts the Redis
commands of idle subscribers (one subscriber, then all of them: the difference is per client),
POSTs the messages (text "b <seq> <send time>") and prints what it measured beside the targets.
Latency is send time to receipt. The server gets the first CPU to itself and everything else the
others (unless --no-pin). Only 127.0.0.1 is used; every process started is stopped on exit.
With --soak, clients come and go for MINUTES instead (scripts/soak.py); with --peer node, the same
figures are measured side by side with Node's socket.io (scripts/versus.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil  # type: ignore[import-untyped]
import redis

from scripts import bench_client, soak, versus
from scripts.embedded_redis import RedisServer, free_port, stop_process, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
# figure -> (target, test); figures without a test are informative.
TARGETS: dict[str, tuple[str, Any]] = {
    "deliveries_per_s": ("20,000 at N=1000", None),
    "latency_p99_ms": ("< 100", lambda v: v < 100),
    "lost": ("0", lambda v: v == 0),
    "duplicated": ("0", lambda v: v == 0),
    "server_cpu_us_per_delivery": ("< 12", lambda v: v < 12),
    "redis_commands_per_message": ("1 (< 1.05)", lambda v: v < 1.05),
    "redis_commands_per_idle_client_min": ("0 (< 0.01)", lambda v: v < 0.01),
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=1000, help="subscribers in the room (default 1000)")
    p.add_argument("--rate", type=float, default=20.0, help="messages sent per second (default 20)")
    p.add_argument("--messages", type=int, default=200, help="messages sent (default 200)")
    p.add_argument("--ws", type=float, nargs="?", const=1.0, default=0.0, metavar="SHARE",
                   help="share of the subscribers on WebSocket instead of SSE (bare --ws: all)")  # fmt: skip
    p.add_argument("--redis-url", help="a Redis on 127.0.0.1 to use instead of a throwaway redis-server")
    p.add_argument("--idle-seconds", type=float, default=15.0, help="idle window for Redis commands (default 15)")
    p.add_argument("--drain-seconds", type=float, default=5.0, help="wait for late deliveries (default 5)")
    p.add_argument("--procs", type=int, default=1, help="load-generator processes (default 1)")
    p.add_argument("--no-pin", action="store_true", help="do not give the server a CPU of its own")
    p.add_argument("--senders", type=int, default=50, help="guest users taking turns to send (default 50)")
    p.add_argument("--app", default="api.index:app", help="the ASGI app to serve (default api.index:app)")
    p.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    p.add_argument(
        "--soak",
        type=float,
        metavar="MINUTES",
        help="soak instead: --clients connect and leave for MINUTES while --rate messages/s flow",
    )
    p.add_argument("--seed", type=int, default=1, help="the soak's random comings and goings (default 1)")
    versus.add_args(p)
    args = p.parse_args()
    if args.redis_url and urlsplit(args.redis_url).hostname not in ("127.0.0.1", "localhost"):
        p.error("--redis-url must point at 127.0.0.1: the benchmark only talks to this machine")
    return args


def start_server(app: str, redis_url: str, port: int, stack: contextlib.ExitStack) -> subprocess.Popen[bytes]:
    options = "--loop uvloop --http httptools --log-level warning --no-access-log --timeout-graceful-shutdown 1"
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), *options.split()]
    # Every client of the benchmark comes from 127.0.0.1 and few accounts send everything: lift the
    # per-address and per-person limits, or it measures the limiters.
    limits = {
        "SEND_RATE_COUNT": "1000000",
        "STREAMS_PER_ADDRESS": "1000000",
        "SESSION_RATE_PER_ADDRESS_PER_MINUTE": "1000000",
        "ROOM_CREATE_RATE_PER_HOUR": "1000000",
    }
    # Its own lines (one per request and per stream end) only if asked for (LOG_LEVEL), like uvicorn's.
    env = {"LOG_LEVEL": "WARNING", **os.environ, **limits, "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # inherits our raised RLIMIT_NOFILE
    stack.callback(stop_process, server)
    wait_healthy(server, f"http://127.0.0.1:{port}/api/health", "the server")
    return server


def command_counts(r: redis.Redis) -> Counter[str]:
    """Calls per command since Redis started (INFO commandstats), less the benchmark's own."""
    stats: dict[str, dict[str, int]] = r.info("commandstats")
    counts = Counter({name.removeprefix("cmdstat_"): int(s["calls"]) for name, s in stats.items()})
    for own in ("info", "monitor"):
        counts.pop(own, None)
    return counts


class Commands(threading.Thread):
    """The Redis commands run while it is open: `by_name` from INFO commandstats, which also counts
    what Lua scripts run, and `sent`, what clients sent (a hosted Redis bills an EVALSHA as one
    command), from `by_name` less the commands MONITOR shows as run by Lua."""

    def __init__(self, r: redis.Redis) -> None:
        super().__init__(daemon=True)
        self.r, self.by_name, self.sent, self._lua = r, Counter[str](), 0, 0
        self._monitor = r.monitor()  # type: ignore[no-untyped-call]
        self._monitor.__enter__()  # MONITOR is acknowledged: nothing from here on is missed
        self._done = threading.Event()

    def run(self) -> None:
        with contextlib.suppress(redis.RedisError, OSError):  # Redis gone: the run is over anyway
            while not self._done.is_set():
                while self._monitor.connection.can_read(timeout=0.05):
                    self._lua += self._monitor.next_command()["client_type"] == "lua"

    def __enter__(self) -> Commands:
        self.start()
        self._before = command_counts(self.r)
        return self

    def __exit__(self, failed: object, *_: object) -> None:
        try:
            if failed is None:
                self.by_name = command_counts(self.r) - self._before
        finally:
            self._done.set()
            self.join()
            with contextlib.suppress(redis.RedisError, OSError):
                self._monitor.__exit__()
        self.sent = self.by_name.total() - self._lua


def sign_in(url: str, count: int) -> list[dict[str, str]]:
    """Headers for `count` guest senders, so that no one exceeds the per-person send rate limit;
    a server without sessions (POST /api/session 404) takes messages without them."""
    senders = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for i in range(count):
            reply = client.post("/api/session", json={"name": f"bench{os.getpid()}-{i}"})
            if reply.status_code == 404:
                return [{}]
            reply.raise_for_status()
            senders.append({"authorization": f"Bearer {reply.json()['token']}"})
    return senders


async def send_messages(
    url: str, room: str, rate: float, count: int, senders: list[dict[str, str]]
) -> tuple[float, list[int]]:
    """POSTs `count` messages at `rate` per second, the senders taking turns; returns when the first
    left and which were accepted."""
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=httpx.Limits(max_connections=32)) as client:

        async def send(seq: int) -> bool:
            body = {"text": f"b {seq} {time.time():.6f}", "user": "bench"}
            reply = await client.post(f"/api/rooms/{room}/messages", json=body, headers=senders[seq % len(senders)])
            return reply.status_code == 201

        await client.get("/api/health")  # a warm keep-alive connection, outside the timing
        first, start, tasks = time.time(), time.perf_counter(), []
        for seq in range(count):
            await asyncio.sleep(max(0.0, start + seq / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(send(seq)))
        results = await asyncio.gather(*tasks, return_exceptions=True)
    return first, [seq for seq, ok in enumerate(results) if ok is True]


def run_delay(pid: int) -> float:
    """Seconds the server's main thread has been runnable but waiting for a CPU (Linux schedstat)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return float("nan")


def peak_rss(process: psutil.Process) -> int:
    """The kernel's RSS high-water mark (Linux), else the current RSS."""
    try:
        return int(Path(f"/proc/{process.pid}/status").read_text().split("VmHWM:")[1].split()[0]) * 1024
    except (OSError, IndexError, ValueError):
        return int(process.memory_info().rss)


@dataclass
class Setup:
    redis_url: str
    port: int
    url: str
    room: str
    server: psutil.Process
    senders: list[dict[str, str]]
    nofile: int
    pin: bool
    cpus: list[int]


def set_up(args: argparse.Namespace, stack: contextlib.ExitStack) -> Setup:
    """Redis, the server pinned to a CPU of its own, signed-in senders and a warmed-up send script."""
    nofile = args.clients + 1024
    bench_client.raise_nofile(nofile)
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = not args.no_pin and len(cpus) >= 2
    if pin:  # redis-server and the load generators inherit the CPUs other than the server's
        os.sched_setaffinity(0, cpus[1:])
    redis_url = args.redis_url
    if not redis_url:
        redis_server = RedisServer(Path(stack.enter_context(tempfile.TemporaryDirectory()))).start()
        stack.callback(redis_server.stop)
        redis_url = redis_server.url
    port, room = free_port(), f"bench-{os.getpid()}"
    server = psutil.Process(start_server(args.app, redis_url, port, stack).pid)
    if pin:
        server.cpu_affinity(cpus[:1])
    url = f"http://127.0.0.1:{port}"
    senders = sign_in(url, args.senders)
    # One message first, so that the one-time SCRIPT LOAD of the send script is not counted.
    httpx.post(f"{url}/api/rooms/{room}/messages", json={"text": "warm-up"}, headers=senders[0], timeout=10)
    return Setup(redis_url, port, url, room, server, senders, nofile, pin, cpus)


def measure(args: argparse.Namespace, stack: contextlib.ExitStack) -> dict[str, Any]:
    setup = set_up(args, stack)
    port, room, server, url, senders, nofile = (
        setup.port, setup.room, setup.server, setup.url, setup.senders, setup.nofile
    )  # fmt: skip
    pin, cpus = setup.pin, setup.cpus
    r = stack.enter_context(redis.Redis.from_url(setup.redis_url, decode_responses=True))
    load = bench_client.LoadGen(args.procs, port, room, nofile, stack)

    n_ws = round(args.clients * args.ws)
    kinds = [False] * (args.clients - n_ws) + [True] * n_ws
    print(f"opening {args.clients - n_ws} SSE and {n_ws} WebSocket subscribers ...", file=sys.stderr)
    # One subscriber first: its idle window is the baseline of what the process does anyway.
    load.ask("open", [kinds[:1]] + [[]] * (args.procs - 1))
    time.sleep(1.0)
    with Commands(r) as idle_one:
        time.sleep(args.idle_seconds)
    started = time.perf_counter()
    with Commands(r) as connect:
        opened = load.ask("open", [kinds[1:][i :: args.procs] for i in range(args.procs)])
    connect_seconds, clients = time.perf_counter() - started, sum(count for count, _, _ in opened)
    for _, sample, failures in opened:
        if failures:
            print(f"{failures} subscribers failed to open, e.g. {sample}", file=sys.stderr)
    if clients < 2:
        raise SystemExit("the subscribers could not open their streams")

    print(f"{clients} open in {connect_seconds:.1f}s; idle for {args.idle_seconds:g}s ...", file=sys.stderr)
    time.sleep(1.0)
    idle_cpu = sum(server.cpu_times()[:2])
    with Commands(r) as idle_all:
        time.sleep(args.idle_seconds)
    idle_cpu = sum(server.cpu_times()[:2]) - idle_cpu

    print(f"sending {args.messages} messages at {args.rate:g}/s ...", file=sys.stderr)
    memory_before = int(r.info("memory")["used_memory"])
    with Commands(r) as sent:
        cpu0, load_cpu, waited, window = server.cpu_times(), load.cpu(), run_delay(server.pid), time.perf_counter()
        first, acked = asyncio.run(send_messages(url, room, args.rate, args.messages, senders))
        deadline = time.monotonic() + args.drain_seconds
        while sum(load.ask("count")) < clients * len(acked) and time.monotonic() < deadline:
            time.sleep(0.05)
        cpu1, load_cpu, window = server.cpu_times(), load.cpu() - load_cpu, time.perf_counter() - window
        waited = run_delay(server.pid) - waited
    cpu, sys_cpu = cpu1.user + cpu1.system - cpu0.user - cpu0.system, cpu1.system - cpu0.system
    # What the messages cost Redis: the stream entries, the room's counters, and the server's own
    # idempotency keys, which live seconds (measured before they expire: an upper bound).
    memory_grown = int(r.info("memory")["used_memory"]) - memory_before

    reports = load.ask("report", [set(acked)] * args.procs)
    deliveries = sum(rep[0] for rep in reports)
    latencies = sorted(x for rep in reports for x in rep[5])

    def ms(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2) if latencies else -1

    n_sent, minutes = max(len(acked), 1), args.idle_seconds / 60
    return {
        "clients": clients,
        "sse": args.clients - n_ws,
        "ws": n_ws,
        "messages": args.messages,
        "rate": args.rate,
        "connect_seconds": round(connect_seconds, 2),
        "send_failures": args.messages - len(acked),
        "deliveries": deliveries,
        "deliveries_per_s": round(deliveries / max(max(rep[4] for rep in reports) - first, 1e-9)),
        "latency_p50_ms": ms(0.50),
        "latency_p99_ms": ms(0.99),
        "latency_max_ms": ms(1.0),
        "lost": sum(rep[1] for rep in reports),
        "duplicated": sum(rep[2] for rep in reports),
        "dropped_subscribers": sum(rep[3] for rep in reports),
        "server_cpu_us_per_delivery": round(cpu / max(deliveries, 1) * 1e6, 2),
        "server_cpu_us_per_delivery_in_kernel": round(sys_cpu / max(deliveries, 1) * 1e6, 2),
        "server_cpu_percent": round(cpu / window * 100, 1),
        "server_waiting_for_cpu_percent": round(waited / window * 100, 1),
        "loadgen_cpu_percent": round(load_cpu / window * 100, 1),
        "server_cpu_idle_percent": round(idle_cpu / args.idle_seconds * 100, 2),
        "server_peak_rss_mib": round(peak_rss(server) / 2**20, 1),
        "redis_commands_per_message": round(sent.sent / n_sent, 3),
        "redis_commands_per_message_incl_lua": round(sent.by_name.total() / n_sent, 3),
        "redis_bytes_per_message": round(memory_grown / n_sent),
        "redis_commands_per_connect": round(connect.sent / (clients - 1), 3),
        "redis_commands_idle_per_min_1_client": round(idle_one.sent / minutes, 2),
        "redis_commands_idle_per_min_all_clients": round(idle_all.sent / minutes, 2),
        "redis_commands_per_idle_client_min": round((idle_all.sent - idle_one.sent) / (clients - 1) / minutes, 4),
        "server_cpu": cpus[0] if pin else "any",
        "host_load_average": round(os.getloadavg()[0], 2),
        "per_message_by_name": {k: round(v / n_sent, 3) for k, v in sorted(sent.by_name.items())},
        "per_connect_by_name": {k: round(v / (clients - 1), 3) for k, v in sorted(connect.by_name.items())},
        "idle_window_by_name": dict(sorted(idle_all.by_name.items())),
    }


def show(f: dict[str, Any]) -> None:
    print(
        f"\n{f['clients']} subscribers ({f['sse']} SSE, {f['ws']} WebSocket), {f['messages']} messages at "
        f"{f['rate']:g}/s = {f['clients'] * f['rate']:,.0f} deliveries/s offered; connected in {f['connect_seconds']}s"
    )
    print(f"{'figure':<38}{'measured':>12}   target")
    for name, value in list(f.items())[6:]:
        if isinstance(value, dict):  # INFO commandstats, which counts what Lua runs as well
            print(f"Redis commands {name.replace('_', ' ')}: {json.dumps(value)}")
            continue
        target, test = TARGETS.get(name, ("", None))
        verdict = "" if test is None else ("  ok" if test(value) else "  MISSED")
        print(f"{name:<38}{value:>12,}   {target}{verdict}" if not isinstance(value, str) else f"{name:<38}{value:>12}")


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.peer:
        try:
            versus.run(args)
        except KeyboardInterrupt:
            raise SystemExit("interrupted: every process it started is stopped") from None
        return
    try:
        with contextlib.ExitStack() as stack:
            if args.soak:
                setup = set_up(args, stack)
                figures = soak.run(args, setup.url, setup.port, setup.room, setup.server, setup.senders)
            else:
                figures = measure(args, stack)
    except KeyboardInterrupt:
        raise SystemExit("interrupted: every process it started is stopped") from None
    (soak.show if args.soak else show)(figures)
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
