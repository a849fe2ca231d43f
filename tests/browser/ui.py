"""What the tests do and look for in the chat page, and what they ask the server directly."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import httpx
from playwright.sync_api import BrowserContext, Locator, Page, Route, ViewportSize, expect
from playwright.sync_api import Error as PlaywrightError

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
SENT = ".sent"
WAITING = ":is(.pending, .sending)"

expect.set_options(timeout=10_000)


def expect_live(page: Page, timeout: float = 10_000) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=timeout)


def send(page: Page, text: str) -> None:
    box = page.locator("#composer-input")
    box.fill(text)
    box.press("Enter")


def message(page: Page, text: str, state: str = SENT) -> Locator:
    """The messages in the list whose whole text is `text`; `state` is a selector suffix."""
    exact = re.compile("^" + re.escape(text) + "$")
    return page.locator(f"#messages .msg{state} .text").filter(has_text=exact)


def row(page: Page, text: str) -> Locator:
    """The message rows (text, author, notes, "Seen by") whose text is exactly `text`."""
    exact = re.compile("^" + re.escape(text) + "$")
    return page.locator("#messages .msg").filter(has=page.locator(".text").filter(has_text=exact))


def only_streams_fill_gaps(context: BrowserContext) -> list[str]:
    """Makes every catch-up (GET .../messages?after=ID, which the app sends whenever its stream
    (re)opens) find nothing new, so that whatever a tab missed can only reach it through the
    stream resuming by id. Returns the catch-ups answered so."""
    answered: list[str] = []

    def nothing_new(route: Route) -> None:
        # A tab closed meanwhile disposes of its response: nothing is left to answer.
        with contextlib.suppress(PlaywrightError):
            response = route.fetch()
            body = {**response.json(), "messages": [], "has_more": False}
            answered.append(route.request.url)
            route.fulfill(response=response, json=body)

    context.route(lambda url: "/messages?" in url and "after=" in url, nothing_new)
    return answered


def room_link(page: Page, room: str) -> Locator:
    """The room's link in the sidebar's list of joined rooms."""
    return page.locator(f'#room-list a[href="#{room}"]')


def name_dialog(page: Page) -> Locator:
    return page.locator("#account")


def choose_name(page: Page, name: str, password: str = "") -> None:
    """Fills in the name dialog (open already) and submits it."""
    dialog = name_dialog(page)
    dialog.get_by_label("Your name").fill(name)
    dialog.get_by_label("Password (optional)").fill(password)
    dialog.get_by_role("button", name="Continue").click()


def sent_texts(page: Page) -> list[str]:
    return page.locator("#messages .msg.sent .text").all_text_contents()


def history_texts(base_url: str, room: str = "general") -> list[str]:
    """The room's messages as the server holds them (every copy, so duplicates would show)."""
    r = httpx.get(f"{base_url}/api/rooms/{room}/messages", params={"limit": 200}, timeout=5)
    r.raise_for_status()
    return [m["text"] for m in r.json()["messages"]]


def signed_in(base_url: str, name: str) -> httpx.Client:
    """An HTTP client speaking as the guest `name` (for messages from people not in a browser)."""
    r = httpx.post(f"{base_url}/api/session", json={"name": name}, timeout=5)
    r.raise_for_status()
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    return httpx.Client(base_url=base_url, headers=headers, timeout=5)


def post(http: httpx.Client, text: str, room: str = "general") -> str:
    """Sends `text` as the client's user; returns the message's id."""
    r = http.post(f"/api/rooms/{room}/messages", json={"text": text})
    r.raise_for_status()
    return str(r.json()["id"])
