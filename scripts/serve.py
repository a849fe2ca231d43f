"""`scripts/run`'s server: uvicorn on REDIS_URL, or on an embedded redis-server kept in the data folder.

This process is a small supervisor, made for process managers and terminals alike. It starts the
embedded Redis (unless REDIS_URL is set), then uvicorn as a child process, and waits. However the
run ends (SIGTERM, SIGINT or SIGHUP to this process, the server or Redis exiting, the server
failing at start), it stops the server first (in-flight requests finish), then Redis (which
flushes its append-only file), and only then exits: by the signal it got, or with the server's
exit code. Both children run in their own sessions, so a terminal's Ctrl+C or hang-up reaches this
process only and the order holds; on Linux they also stop when this process is killed outright.
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import FrameType, TracebackType

from scripts.embedded_redis import EmbeddedRedis, RedisStartError, die_with_parent, stop_process

ROOT = Path(__file__).resolve().parent.parent
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# The server stops by itself within its SHUTDOWN_SECONDS (5 by default): streams end at once,
# requests in flight finish. No --timeout-graceful-shutdown, which would cut them sooner.
SERVER_STOP_SECONDS = 15  # then the server is killed

log = logging.getLogger("serve")


class Interrupted(Exception):
    """A stop signal arrived while starting."""


class StopSignals:
    """Records the first stop signal, and wakes `wait` on it or on a child's exit (SIGCHLD), without
    polling: the signal handlers write to a socket that `wait` selects on."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._read, self._write = socket.socketpair()
        self._previous: dict[int, object] = {}
        self._previous_wakeup = -1

    def __enter__(self) -> StopSignals:
        for end in (self._read, self._write):
            end.setblocking(False)
        self._previous_wakeup = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        for sig in STOP_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._on_stop)
        self._previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, self._on_child)
        return self

    def _on_stop(self, signum: int, _: FrameType | None) -> None:
        if self.received is None:
            self.received = signum

    def _on_child(self, signum: int, _: FrameType | None) -> None:
        pass  # the wake-up is all that is needed

    def wait(self, timeout: float | None = None) -> None:
        """Returns after a signal (or after `timeout` seconds)."""
        select.select([self._read], [], [], timeout)
        try:
            while self._read.recv(512):
                pass
        except BlockingIOError:
            pass

    def pause(self, seconds: float) -> None:
        """Waits `seconds`, or raises Interrupted as soon as a stop signal arrived."""
        if self.received is None:
            self.wait(seconds)
        if self.received is not None:
            raise Interrupted

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | None) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        signal.set_wakeup_fd(self._previous_wakeup)
        self._read.close()
        self._write.close()


def default_data_dir() -> Path:
    return Path(os.environ.get("CHAT_DATA_DIR") or ROOT / "data")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run the chat server.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default_data_dir(),
        help="data folder; the embedded Redis keeps its files in its redis/ (default: $CHAT_DATA_DIR or data/)",
    )
    return parser.parse_args(argv)


def server_command(args: argparse.Namespace) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "api.index:app",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--workers",
        str(args.workers),
        # uvicorn would honour X-Forwarded-* from 127.0.0.1 by itself: TRUST_PROXY alone decides.
        "--no-proxy-headers",
        "--log-level",
        "info",
    ]


def run(args: argparse.Namespace, signals: StopSignals) -> int:
    """Runs until a stop signal or a child's exit; stops everything it started. Returns the exit code."""
    env = dict(os.environ)
    # Shared files go beside the embedded Redis, in the same data folder, unless told otherwise.
    env.setdefault("FILES_URL", (args.data_dir / "files").resolve().as_uri())
    redis: EmbeddedRedis | None = None
    server: subprocess.Popen[bytes] | None = None
    code = 0
    try:
        if not env.get("REDIS_URL"):
            redis = EmbeddedRedis(args.data_dir / "redis")
            redis.start(pause=signals.pause)
            env["REDIS_URL"] = redis.url
            log.info("embedded redis-server (run id %s) at %s, data in %s", redis.run_id, redis.url, redis.data_dir)
        server = subprocess.Popen(
            server_command(args), cwd=ROOT, env=env, start_new_session=True, preexec_fn=die_with_parent()
        )
        log.info("chat at http://%s:%d/chat/", args.host, args.port)
        while signals.received is None and server.poll() is None:
            if redis is not None and redis.process is not None and redis.process.poll() is not None:
                log.error("redis-server exited with code %d: stopping", redis.process.returncode)
                code = 1
                break
            signals.wait()
        if server.poll() is not None:
            log.error("the server exited with code %d", server.returncode)
            code = 128 - server.returncode if server.returncode < 0 else server.returncode or 1
    except Interrupted:
        pass
    except RedisStartError as error:
        log.error("%s", error)
        code = 1
    finally:
        if signals.received is not None:
            log.info("%s: stopping", signal.Signals(signals.received).name)
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(SERVER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                log.error("the server did not stop within %d s: killing it", SERVER_STOP_SECONDS)
                stop_process(server, grace=0)
        if redis is not None:
            redis.stop()
        log.info("stopped")
    return code


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    with StopSignals() as signals:
        code = run(args, signals)
    if signals.received is not None:
        # End the way the signal asked, now that everything is stopped: the caller sees it.
        logging.shutdown()
        signal.signal(signals.received, signal.SIG_DFL)
        os.kill(os.getpid(), signals.received)
    sys.exit(code)


if __name__ == "__main__":
    main()
