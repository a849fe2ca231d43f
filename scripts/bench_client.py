"""The load generator of scripts/bench.py: many SSE or WebSocket subscribers on raw uvloop sockets.

Each load-generator process is driven over a pipe by `LoadGen` (below). A subscriber does no HTTP or JSON
parsing beyond what the figures need: the SSE body is scanned for complete lines, WebSocket frames
are only delimited (and pings answered), and each message is one regex match on the bench's text
"b <seq> <send time>". The Node peer's clients (`EioSubscriber`) speak Engine.IO 4 / socket.io 5 over
a WebSocket the same way: the socket.io handshake, pings answered, messages matched by one regex.
"""

from __future__ import annotations

import asyncio
import base64
import multiprocessing as mp
import os
import re
import resource
import signal
import time
from array import array
from contextlib import ExitStack
from multiprocessing.connection import Connection
from typing import Any, cast

import psutil  # type: ignore[import-untyped]
import uvloop

MESSAGE = re.compile(rb'"text":"b (\d+) ([\d.]+)"')
BATCH = 100  # connections opened at once, well under uvicorn's accept backlog


def raise_nofile(wanted: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard == resource.RLIM_INFINITY else max(hard, wanted)
    for limits in ((target, target), (hard, hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, limits)
            return
        except (ValueError, OSError):
            continue


class Totals:
    def __init__(self) -> None:
        self.received = 0
        self.last_rx = 0.0
        self.dropped = 0
        self.latencies = array("d")


class Subscriber(asyncio.Protocol):
    message = MESSAGE

    def __init__(self, request: bytes, ws: bool, totals: Totals) -> None:
        self.request = request
        self.ws = ws
        self.totals = totals
        self.seqs: list[int] = []
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.closing = False
        self._buf = b""
        self._head = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before ready: {exc}"))
        elif not self.closing:
            self.totals.dropped += 1

    def data_received(self, data: bytes) -> None:
        buf = self._buf + data
        if self._head:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self._buf = buf
                return
            if buf[9:12] != (b"101" if self.ws else b"200"):
                self.ready.set_exception(ConnectionError(buf[: buf.find(b"\r\n")].decode(errors="replace")))
                self.closing = True
                assert self.transport is not None
                self.transport.close()
                return
            buf = buf[end + 4 :]
            self._head = False
        done = self._frames(buf) if self.ws else buf.rfind(b"\n") + 1
        self._buf = buf[done:]
        if done:
            self._deliver(buf[:done])

    def _frames(self, buf: bytes) -> int:
        """Delimits complete WebSocket frames (server frames are unmasked) and answers pings."""
        pos, end = 0, len(buf)
        while end - pos >= 2:
            opcode, size, start = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, pos + 2
            if size >= 126:
                width = 2 if size == 126 else 8
                size, start = int.from_bytes(buf[start : start + width], "big"), start + width
            if end < start + size:
                break
            if opcode == 0x9 and self.transport is not None:  # pong, masked with a zero key
                self.transport.write(bytes((0x8A, 0x80 | size)) + bytes(4) + buf[start : start + size])
            pos = start + size
        return pos

    def _deliver(self, chunk: bytes) -> None:
        if not self.ready.done() and (b"event: ready" in chunk or b'"type":"ready"' in chunk):
            self.ready.set_result(None)
        found = self.message.findall(chunk)
        if found:
            totals = self.totals
            now = time.time()
            for seq, sent in found:
                self.seqs.append(int(seq))
                totals.latencies.append(now - float(sent))
            totals.received += len(found)
            totals.last_rx = now


class EioSubscriber(Subscriber):
    """A socket.io client on the Node peer: a WebSocket carrying Engine.IO packets (`0` open, `40`
    connect to the main namespace, `2`/`3` ping/pong, `42[...]` events)."""

    message = re.compile(rb'"chat message","b (\d+) ([\d.]+)"')

    def _frames(self, buf: bytes) -> int:
        pos, end = 0, len(buf)
        while end - pos >= 2:
            size, start = buf[pos + 1] & 0x7F, pos + 2
            if size >= 126:
                width = 2 if size == 126 else 8
                size, start = int.from_bytes(buf[start : start + width], "big"), start + width
            if end < start + size:
                break
            head = buf[start : start + 2]
            if head == b"2" or (head[:1] == b"2" and size == 1):
                self.send_text(b"3")
            elif head == b"0{":
                self.send_text(b"40")
            elif head == b"40" and not self.ready.done():
                self.ready.set_result(None)
            pos = start + size
        return pos

    def send_text(self, payload: bytes) -> None:
        """One client text frame (masked, with a zero key: the payload goes as is)."""
        assert len(payload) < 126 and self.transport is not None
        self.transport.write(bytes((0x81, 0x80 | len(payload))) + bytes(4) + payload)


def eio_request(port: int) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def _request(port: int, room: str, ws: bool) -> bytes:
    head = f"GET /api/rooms/{room}/{'ws' if ws else 'events'} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    if not ws:
        return (head + "Accept: text/event-stream\r\n\r\n").encode()
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        head + f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


async def _open(port: int, room: str, ws: bool | str, totals: Totals) -> Subscriber:
    """Opens one subscriber: SSE (False), WebSocket (True) or socket.io on the Node peer ("eio")."""
    loop = asyncio.get_running_loop()
    if ws == "eio":
        make: type[Subscriber] = EioSubscriber
        request = eio_request(port)
    else:
        make, request = Subscriber, _request(port, room, bool(ws))
    _, sub = await loop.create_connection(lambda: make(request, bool(ws), totals), "127.0.0.1", port)
    await asyncio.wait_for(sub.ready, 30)
    return sub


async def _serve(conn: Connection, port: int, room: str) -> None:
    loop = asyncio.get_running_loop()
    totals = Totals()
    subs: list[Subscriber] = []
    while True:
        command, arg = await loop.run_in_executor(None, conn.recv)
        if command == "open":  # arg: one flag per subscriber, True for WebSocket, "eio" for socket.io
            errors: list[str] = []
            for i in range(0, len(arg), BATCH):
                opened = await asyncio.gather(
                    *(_open(port, room, ws, totals) for ws in arg[i : i + BATCH]), return_exceptions=True
                )
                subs += [s for s in opened if isinstance(s, Subscriber)]
                errors += [repr(s) for s in opened if not isinstance(s, Subscriber)]
            conn.send((len(subs), errors[:3], len(errors)))
        elif command == "count":
            conn.send(totals.received)
        elif command == "report":  # arg: the seqs of the messages the server accepted
            lost = sum(len(arg.difference(s.seqs)) for s in subs)
            duplicated = sum(len(s.seqs) - len(set(s.seqs)) for s in subs)
            conn.send((totals.received, lost, duplicated, totals.dropped, totals.last_rx, totals.latencies))
        elif command == "close":
            for sub in subs:
                sub.closing = True
                if sub.transport is not None:
                    sub.transport.close()
            await asyncio.sleep(0.1)
            conn.send(None)
            return


def run(conn: Connection, port: int, room: str, nofile: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us in order
    raise_nofile(nofile)
    uvloop.run(_serve(conn, port, room))


class LoadGen:
    """The load-generator processes, each running `run`, driven over pipes."""

    def __init__(self, procs: int, port: int, room: str, nofile: int, stack: ExitStack) -> None:
        ctx = mp.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes: list[psutil.Process] = []
        for _ in range(procs):
            ours, theirs = ctx.Pipe()
            child = ctx.Process(target=run, args=(theirs, port, room, nofile), daemon=True)
            child.start()
            stack.callback(self._stop, child)
            self.pipes.append(ours)
            self.processes.append(psutil.Process(child.pid))
        stack.callback(self._close)

    def ask(self, command: str, args: list[Any] | None = None) -> list[Any]:
        for pipe, arg in zip(self.pipes, args or [None] * len(self.pipes), strict=True):
            pipe.send((command, arg))
        return [pipe.recv() for pipe in self.pipes]

    def cpu(self) -> float:
        return sum(sum(p.cpu_times()[:2]) for p in self.processes)

    def _close(self) -> None:
        for pipe in self.pipes:
            try:
                pipe.send(("close", None))
                _ = pipe.poll(5) and pipe.recv()
            except (OSError, EOFError):
                pass

    @staticmethod
    def _stop(child: mp.process.BaseProcess) -> None:
        child.join(5)
        if child.is_alive():
            child.terminate()
            child.join()
