"""Stopping on SIGTERM (or SIGINT): every stream ends at once, sends in flight finish, and the
process exits within SHUTDOWN_SECONDS.

uvicorn stops by closing its listening socket, then waiting for every open connection to finish,
and only then runs the lifespan's shutdown. An SSE stream or a long-poll never finishes by itself,
so a process holding one would wait forever (or until `--timeout-graceful-shutdown` cancels every
request at once, sends half-way included). So the app hears the signal itself: it chains its own
handler after the server's (installed from the lifespan's startup, when the server's handlers are
in place) and, on the event loop:
- ends every subscription (`on_start`, the hub's drain): SSE responses end cleanly, WebSockets
  close with 1012, long-polls answer; clients resume by id, on this server's successor;
- keeps ending the streams opened from then on (clients reconnect in the moments before the
  server stops listening; the hub closes their subscriptions as soon as they are made);
- lets every other request finish, and cancels those still running after 70 % of
  SHUTDOWN_SECONDS, leaving the rest to the lifespan's shutdown (`remaining`);
- exits just before SHUTDOWN_SECONDS if the process is still there, from a thread of its own (a stuck loop
  cannot hold it). What holds it then is a connection the server waits for and the app cannot
  close: a client that stopped reading keeps unsent bytes in its socket, and asyncio closes a
  transport only once they are written.

sse-starlette solves the same problem in its EventSourceResponse, which this app does not use
(see sse.py): its `AppStatus` replaces `uvicorn.Server.handle_exit` when sse_starlette is
imported, which misses a server whose handler was bound before the app was imported (the
`uvicorn module:app` command line does exactly that), and then falls back to polling the bound
handler's `should_exit` every 0.5 s from a watcher task per thread. Chaining the handler reacts at
once, knows nothing of the server's internals, and works the same under uvicorn's workers,
gunicorn's uvicorn worker or a server that uses `loop.add_signal_handler`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)
# Requests still running after this share of SHUTDOWN_SECONDS are cancelled; then comes the
# lifespan shutdown (closing the hub and the Redis connections); the process exits by force after
# EXIT_SHARE, if it must, before the time is up.
REQUESTS_SHARE = 0.7
EXIT_SHARE = 0.9


class Drain:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._on_start: Callable[[], None] | None = None
        self._previous: dict[int, Callable[[int, FrameType | None], Any]] = {}
        self.requests: set[asyncio.Task[Any]] = set()
        self._deadline = 0.0
        self._last_resort: threading.Timer | None = None

    def install(self, on_start: Callable[[], None]) -> None:
        """Chains a handler after the server's for SIGTERM and SIGINT; call it on the event loop.
        Signals reach the main thread only: elsewhere (a test client's thread) `start` is left to
        the caller. A signal with no Python handler (default or ignored) is left alone."""
        self._loop = asyncio.get_running_loop()
        self._on_start = on_start
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in SIGNALS:
            previous = signal.getsignal(sig)
            if callable(previous):
                self._previous[sig] = previous
                signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        """The lifespan is over: the server's handlers are back, and nothing forces an exit (the
        process may have more to do after serving)."""
        if self._last_resort is not None:
            self._last_resort.cancel()
        for sig, previous in self._previous.items():
            if signal.getsignal(sig) == self._handle:
                signal.signal(sig, previous)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # Runs in the main thread between two bytecodes, maybe inside the loop's own code: hand
        # over to the loop rather than touch anything here.
        previous = self._previous.get(signum)
        if previous is not None:
            previous(signum, frame)
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.start, signum)

    def start(self, signum: int | None = None) -> None:
        """Ends every stream now and from now on, and cuts the requests left when time runs out.
        Started by a signal, the process also ends at SHUTDOWN_SECONDS, by force if need be."""
        if self.started:
            return
        self.started = True
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + self.seconds * EXIT_SHARE
        logger.info("stopping: streams end now, requests have %.1f s", self.seconds * REQUESTS_SHARE)
        loop.call_later(self.seconds * REQUESTS_SHARE, self._cut)
        if signum is not None:
            self._last_resort = threading.Timer(self.seconds * EXIT_SHARE, _exit_now, (signum,))
            self._last_resort.daemon = True
            self._last_resort.start()
        if self._on_start is not None:
            self._on_start()

    def remaining(self, default: float) -> float:
        """What is left of SHUTDOWN_SECONDS once draining started (`default` before)."""
        if not self.started:
            return default
        return max(0.1, self._deadline - asyncio.get_running_loop().time())

    def _cut(self) -> None:
        if self.requests:
            logger.warning("stopping: cancelling %d request(s) still running", len(self.requests))
        for task in list(self.requests):
            task.cancel()


def _exit_now(signum: int) -> None:
    logger.error("stopping: still running after SHUTDOWN_SECONDS (connections that never closed); exiting now")
    logging.shutdown()
    os._exit(128 + signum)  # how a shell reports a process ended by that signal


class TrackRequests:
    """Middleware: each HTTP request and WebSocket known to the drain while it runs, so that the
    ones left when time runs out can be cut. Only the call is wrapped, never `send`: nothing is
    added to a stream's deliveries."""

    def __init__(self, app: ASGIApp, drain: Drain) -> None:
        self._app = app
        self._requests = drain.requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        task = asyncio.current_task()
        if scope["type"] == "lifespan" or task is None:
            await self._app(scope, receive, send)
            return
        self._requests.add(task)
        try:
            await self._app(scope, receive, send)
        finally:
            self._requests.discard(task)
