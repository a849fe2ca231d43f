"""The benchmark's Node peer (`scripts.bench --peer node`): the socket.io "get started" chat with the
Redis adapter (scripts/peer/server.js), at the versions pinned in scripts/peer/package-lock.json.

`install()` runs `npm ci` into a cache folder outside the repo ($XDG_CACHE_HOME or ~/.cache,
chat-socketio-peer), once per lockfile; `start_node()` runs the server on its own port and Redis.
The senders used by the side-by-side runs live here too, both on raw sockets so that neither
side's client costs differ much: `HttpSender` POSTs messages on one keep-alive connection,
`EioSender` emits them over socket.io (with an acknowledgement, as the tutorial's chat does).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import filecmp
import os
import shutil
import subprocess
from pathlib import Path

from scripts.embedded_redis import stop_process, wait_healthy

HERE = Path(__file__).resolve().parent / "peer"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chat-socketio-peer"


def install() -> Path:
    """The peer's node_modules, installed from the lockfile unless already there."""
    lock = CACHE / "package-lock.json"
    installed = (CACHE / "node_modules" / "socket.io").is_dir() and lock.exists()
    if installed and filecmp.cmp(lock, HERE / "package-lock.json"):
        return CACHE / "node_modules"
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("--peer node needs Node.js and npm on the PATH")
    CACHE.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, CACHE / name)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CACHE, check=True)
    return CACHE / "node_modules"


def start_node(port: int, redis_url: str, stack: contextlib.ExitStack) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NODE_PATH": str(install()), "NODE_ENV": "production"}
    node = shutil.which("node") or "node"
    server = subprocess.Popen([node, str(HERE / "server.js"), str(port), redis_url], env=env, stdout=subprocess.DEVNULL)
    stack.callback(stop_process, server)
    wait_healthy(server, f"http://127.0.0.1:{port}/health", "the Node peer")
    return server


class HttpSender:
    """POSTs messages to this project on one keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int, room: str, headers: dict[str, str]) -> None:
        self.port, self.path = port, f"/api/rooms/{room}/messages"
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    def request(self, text: str) -> bytes:
        body = ('{"text":"' + text + '"}').encode()
        return (
            f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{self.extra}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    async def send(self, text: str) -> bool:
        self.writer.write(self.request(text))
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await self.reader.readexactly(length)
        return head[9:12] == b"201"

    async def close(self) -> None:
        self.writer.close()


class EioSender:
    """Emits "chat message" to the Node peer over socket.io and waits for each acknowledgement."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.acks: dict[int, asyncio.Future[None]] = {}
        self.next = 0

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        key = base64.b64encode(os.urandom(16)).decode()
        self.writer.write(
            f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket"
            f"\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        await self.reader.readuntil(b"\r\n\r\n")
        connected = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(self._read(connected))
        await connected

    def _frame(self, payload: bytes) -> bytes:
        size = len(payload)
        head = bytes((0x81, 0x80 | size)) if size < 126 else bytes((0x81, 0xFE)) + size.to_bytes(2, "big")
        return head + bytes(4) + payload  # masked with a zero key

    async def _read(self, connected: asyncio.Future[None]) -> None:
        reader = self.reader
        while True:
            first = await reader.readexactly(2)
            size = first[1] & 0x7F
            if size >= 126:
                size = int.from_bytes(await reader.readexactly(2 if size == 126 else 8), "big")
            payload = await reader.readexactly(size)
            if payload[:2] == b"0{":
                self.writer.write(self._frame(b"40"))
            elif payload[:2] == b"40" and not connected.done():
                connected.set_result(None)
            elif payload == b"2":
                self.writer.write(self._frame(b"3"))
            elif payload[:2] == b"43":
                ack = self.acks.pop(int(payload[2 : payload.index(b"[")]), None)
                if ack is not None and not ack.done():
                    ack.set_result(None)

    async def send(self, text: str) -> bool:
        self.next += 1
        done = self.acks[self.next] = asyncio.get_running_loop().create_future()
        self.writer.write(self._frame(f'42{self.next}["chat message","{text}"]'.encode()))
        await done
        return True

    async def close(self) -> None:
        self.task.cancel()
        self.writer.close()
