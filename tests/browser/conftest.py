"""Browser fixtures: one headless Chromium (the system's) per session, fresh contexts per test.

Every page opened through `chat` is watched: a JavaScript error or a dialog (alert, confirm)
fails the test that caused it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("no chromium on PATH: apt-get install -y chromium (never `playwright install`)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Chat:
    """Opens the chat app in browser contexts (one per person) and pages (tabs)."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []

    def person(self, name: str, **options: object) -> BrowserContext:
        """A browser profile whose display name is `name` (unless the app already stored one)."""
        options.setdefault("viewport", DESKTOP)
        context = self.browser.new_context(**options)  # type: ignore[arg-type]
        context.add_init_script(
            f"if (!localStorage.getItem('chat.name')) localStorage.setItem('chat.name', {name!r});"
        )
        self.contexts.append(context)
        return context

    def open(self, context: BrowserContext, room: str | None = "general", *, live: bool = True) -> Page:
        page = context.new_page()
        page.on("dialog", lambda d: (self.dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.goto(f"{self.base_url}/chat/" + (f"#{room}" if room else ""))
        if live:
            expect_live(page)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def chat_factory(browser: Browser) -> Iterator[Callable[[str], Chat]]:
    """Chat sessions against a given server URL; each checked for errors and dialogs afterwards."""
    sessions: list[Chat] = []

    def make(base_url: str) -> Chat:
        sessions.append(Chat(browser, base_url))
        return sessions[-1]

    yield make
    for session in sessions:
        session.close()
    for session in sessions:
        assert session.errors == [], f"JavaScript errors: {session.errors}"
        assert session.dialogs == [], f"dialogs opened: {session.dialogs}"


@pytest.fixture
def chat(chat_factory: Callable[[str], Chat], live_server: Any) -> Chat:
    return chat_factory(live_server.url)


def expect_live(page: Page, timeout: float = 10_000) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=timeout)


def send(page: Page, text: str) -> None:
    box = page.locator("#composer-input")
    box.fill(text)
    box.press("Enter")


SENT = ".sent"
WAITING = ":is(.pending, .sending)"


def message(page: Page, text: str, state: str = SENT) -> Locator:
    """The messages in the list whose whole text is `text`; `state` is a selector suffix."""
    exact = re.compile("^" + re.escape(text) + "$")
    return page.locator(f"#messages .msg{state} .text").filter(has_text=exact)


def sent_texts(page: Page) -> list[str]:
    return page.locator("#messages .msg.sent .text").all_text_contents()
