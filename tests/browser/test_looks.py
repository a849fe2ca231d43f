"""Screenshots of the app, phone and desktop, light and dark, written to tests/artifacts/: the
conversation with "Seen by" and "X is typing…", the room list with unread counts and the online list."""

from __future__ import annotations

from contextlib import ExitStack

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Chat
from tests.browser.ui import ARTIFACTS, DESKTOP, PHONE, expect_live, message, post, room_link, send, signed_in

CONVERSATION = [
    ("maria", "Morning all! Is the deploy still planned for today?"),
    ("maria", "I'd like to get the search fix in first."),
    ("sam", "Yes, after lunch. The fix is merged: https://example.com/pull/42"),
    ("jonas", "Great. I'll watch the error dashboard while it rolls out."),
    ("jonas", "Also: the staging database was restarted at 10:40, in case anyone saw timeouts."),
    ("maria", "That explains it 😅 thanks!"),
]
LAST = "Sounds good, see you at 2"


def other_rooms(maria: httpx.Client, jonas: httpx.Client) -> None:
    """Rooms besides #general: two sam follows with unread messages, one to discover."""
    maria.post("/api/rooms", json={"name": "general", "topic": "Everything about the launch"}).raise_for_status()
    maria.post("/api/rooms", json={"name": "design", "topic": "Mockups and reviews"}).raise_for_status()
    body = {"name": "deploys", "topic": "Release coordination", "private": True, "members": ["sam", "jonas"]}
    maria.post("/api/rooms", json=body).raise_for_status()
    post(maria, "New icons are up for review", room="design")
    post(jonas, "Looks great!", room="design")
    post(jonas, "Staging is green", room="deploys")
    post(jonas, "Anyone up for lunch?", room="random")


def shoot(page: Page, name: str, width: int) -> None:
    # Nothing sticks out sideways on any screen size.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, animations="disabled")
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_phone_and_desktop(chat: Chat, scheme: str) -> None:
    with ExitStack() as stack:
        others = {name: stack.enter_context(signed_in(chat.base_url, name)) for name in ("maria", "jonas")}
        sam = chat.person("sam", viewport=PHONE, color_scheme=scheme)
        sam.add_init_script("localStorage.setItem('chat.rooms', JSON.stringify(['general', 'design']))")
        page = chat.open(sam)  # sam holds the name before maria adds sam to a private room
        other_rooms(others["maria"], others["jonas"])
        for http in others.values():  # online: each has a stream open
            stack.enter_context(http.stream("GET", "/api/events", params={"rooms": "general"}))
        page.reload()
        expect_live(page)
        for user, text in CONVERSATION:
            if user == "sam":
                send(page, text)
                expect(message(page, text)).to_have_count(1)
            else:
                post(others[user], text)
        send(page, LAST)
        expect(page.locator("#messages .msg.sent")).to_have_count(len(CONVERSATION) + 1)
        expect(room_link(page, "design").locator(".badge")).to_have_text("2")
        expect(room_link(page, "deploys").locator(".badge")).to_have_text("1")
        expect(page.locator("#people-toggle")).to_have_accessible_name("3 online")

        last_id = others["maria"].get("/api/rooms/general/messages", params={"limit": 1}).json()["messages"][0]["id"]
        others["maria"].post("/api/rooms/general/read", json={"id": last_id}).raise_for_status()
        expect(page.locator("#messages .seen")).to_have_text(["Seen by maria"])
        page.locator("#composer-input").blur()

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # Each announcement shows for 5 s: one for each screenshot, whatever the machine's speed.
        for label, viewport, typist in (("phone", PHONE, "jonas"), ("desktop", DESKTOP, "maria")):
            others[typist].post("/api/rooms/general/typing").raise_for_status()
            expect(page.locator("#typing-text")).to_contain_text(typist)
            page.set_viewport_size(viewport)
            expect(message(page, LAST)).to_be_in_viewport()
            shoot(page, f"chat-{label}-{scheme}", viewport["width"])

        # The phone's drawer (rooms) and popover (who is online).
        page.set_viewport_size(PHONE)
        page.get_by_role("button", name="Rooms").click()
        expect(room_link(page, "design")).to_be_in_viewport()
        # No wait for the drawer to slide in: the screenshot finishes transitions (animations="disabled").
        shoot(page, f"chat-phone-rooms-{scheme}", PHONE["width"])
        page.keyboard.press("Escape")
        page.locator("#people-toggle").click()
        expect(page.locator("#online-list .person-name")).to_have_text(["jonas", "maria", "sam"])
        shoot(page, f"chat-phone-online-{scheme}", PHONE["width"])
