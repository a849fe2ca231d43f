"""Browser fixtures: one headless Chromium (the system's) per session, fresh contexts per test.

Every page opened through `chat` is watched: a JavaScript error, a dialog (alert, confirm) or a
Content Security Policy violation (a `securitypolicyviolation` event, or Chromium's console
report of one) fails the test that caused it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Error, Page, sync_playwright

from tests.browser.ui import DESKTOP, expect_live

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Package scope: Playwright's sync API keeps an event loop running on this thread until it stops,
# which would break every asyncio test collected after the browser tests.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("no chromium on PATH: apt-get install -y chromium (never `playwright install`)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Runs in every frame before the page's own scripts (injected by the browser, so the page's policy
# does not apply to it) and reports each violation to the test.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.reportViolation(`${e.effectiveDirective} refused ${e.blockedURI || "inline"} in ${e.documentURI}`
    + (e.sourceFile ? ` (${e.sourceFile}:${e.lineNumber})` : ""));
}, true);
"""


class Chat:
    """Opens the chat app in browser contexts (one per person) and pages (tabs)."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.violations: list[str] = []

    def person(self, name: str | None, **options: object) -> BrowserContext:
        """A browser profile whose display name is `name` (unless the app already stored one);
        with None, a first visit: the app asks for a name."""
        options.setdefault("viewport", DESKTOP)
        context = self.browser.new_context(**options)  # type: ignore[arg-type]
        context.expose_function("reportViolation", self._on_violation)
        context.add_init_script(REPORT_VIOLATIONS)
        if name is not None:
            script = f"if (!localStorage.getItem('chat.name')) localStorage.setItem('chat.name', {name!r});"
            context.add_init_script(script)
        self.contexts.append(context)
        return context

    def open(self, context: BrowserContext, room: str | None = "general", *, live: bool = True) -> Page:
        page = self.watch(context.new_page())
        page.goto(f"{self.base_url}/chat/" + (f"#{room}" if room else ""))
        if live:
            expect_live(page)
        return page

    def watch(self, page: Page) -> Page:
        page.on("dialog", self._on_dialog)
        page.on("pageerror", self._on_error)
        page.on("console", self._on_console)
        return page

    def _on_violation(self, report: str) -> None:
        self.violations.append(report)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.violations.append(f"console: {message.text}")

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _on_error(self, error: Error) -> None:
        self.errors.append(str(error))

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
        assert session.violations == [], f"Content Security Policy violations: {session.violations}"


@pytest.fixture
def chat(chat_factory: Callable[[str], Chat], live_server: Any) -> Chat:
    return chat_factory(live_server.url)
