"""The connection badge when the server is in trouble: it says so instead of "Live", and says
"Offline" only when the browser itself is offline."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from scripts.embedded_redis import RedisServer
from tests.browser.conftest import Chat
from tests.browser.ui import WAITING, expect_live, message, send
from tests.conftest import LiveServer

# A fixed secret: tokens must outlive a restart (the generated one lives in Redis).
SECRET = "browser-tests-status-secret-0123456789"


def expect_state(page: Page, state: str, label: str, timeout: float = 15_000) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", state, timeout=timeout)
    expect(page.locator("#conn-text")).to_have_text(label)


def test_a_hanging_store_shows_server_trouble_while_the_stream_stays_open(
    chat_factory: Callable[[str], Chat], tmp_path: Path
) -> None:
    own = RedisServer(tmp_path / "redis").start()
    assert own.process is not None
    server = LiveServer(own.url, {"CHAT_SECRET": SECRET}).start()
    try:
        chat = chat_factory(server.url)
        page = chat.open(chat.person("uma"))
        os.kill(own.process.pid, signal.SIGSTOP)  # the stream stays open: only sends can tell
        try:
            send(page, "while it hangs")
            expect_state(page, "trouble", "Server trouble")
            expect(message(page, "while it hangs", WAITING)).to_have_count(1)
            expect(page.locator("#conn-retry")).to_be_visible()
        finally:
            os.kill(own.process.pid, signal.SIGCONT)
        # The outbox tries again on its own (backing off up to 10 s) and the badge follows.
        expect(message(page, "while it hangs")).to_have_count(1, timeout=20_000)
        expect_state(page, "live", "Live")
    finally:
        server.stop()
        own.stop()


def test_a_server_gone_is_server_trouble_and_offline_is_the_browsers(
    chat_factory: Callable[[str], Chat], server_factory: Callable[..., Any]
) -> None:
    server = server_factory(chat_secret=SECRET)
    chat = chat_factory(server.url)
    person = chat.person("vic")
    page = chat.open(person)

    server.stop()
    expect_state(page, "trouble", "Server trouble")
    person.set_offline(True)
    expect_state(page, "offline", "Offline")
    person.set_offline(False)
    expect_state(page, "trouble", "Server trouble")

    server.start()
    expect_live(page)
