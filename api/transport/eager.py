"""Run a coroutine at once, in the caller, and finish it later only if it had to wait.

A client's ASGI `send` almost always completes without waiting (the socket has room), so the
hub runs it inline: no task switch, no future, no queue per delivery. When it does wait (a client
slow to read, its socket full), the rest is handed to that client's own task to await.
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine, Generator
from types import CoroutineType
from typing import Any


def start(coro: Awaitable[None]) -> Rest | Awaitable[None] | None:
    """Runs `coro` up to its first suspension. None if it finished; else what finishes it."""
    if type(coro) is not CoroutineType:
        return coro  # some other awaitable: nothing to run early, the caller's task awaits it
    try:
        yielded = coro.send(None)
    except StopIteration:
        return None
    return Rest(coro, yielded)


class Rest:
    """Awaiting this resumes the coroutine where `start` left it, in the awaiting task."""

    __slots__ = ("_coro", "_yielded")

    def __init__(self, coro: Coroutine[Any, Any, None], yielded: Any) -> None:
        self._coro = coro
        self._yielded = yielded

    def close(self) -> None:
        """Abandons the rest (the stream ended first): the coroutine is closed, not left pending."""
        self._coro.close()

    def __await__(self) -> Generator[Any, None, None]:
        coro, yielded = self._coro, self._yielded
        while True:
            try:
                # Hand the awaiting task the future the coroutine waits on, exactly as `await` would.
                yield yielded
            except BaseException as exc:
                try:
                    yielded = coro.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                yielded = coro.send(None)
            except StopIteration:
                return
