"""Screenshots of the app, phone and desktop, light and dark, written to tests/artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Chat
from tests.browser.ui import ARTIFACTS, DESKTOP, PHONE, message, post, send, signed_in

CONVERSATION = [
    ("maria", "Morning all! Is the deploy still planned for today?"),
    ("maria", "I'd like to get the search fix in first."),
    ("sam", "Yes, after lunch. The fix is merged: https://example.com/pull/42"),
    ("jonas", "Great. I'll watch the error dashboard while it rolls out."),
    ("jonas", "Also: the staging database was restarted at 10:40, in case anyone saw timeouts."),
    ("maria", "That explains it 😅 thanks!"),
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_phone_and_desktop(chat: Chat, scheme: str) -> None:
    sam = chat.person("sam", viewport=PHONE, color_scheme=scheme)
    page = chat.open(sam)
    others = {name: signed_in(chat.base_url, name) for name in ("maria", "jonas")}
    for user, text in CONVERSATION:
        if user == "sam":
            send(page, text)
            expect(message(page, text)).to_have_count(1)
        else:
            post(others[user], text)
    for http in others.values():
        http.close()
    send(page, "Sounds good, see you at 2")
    expect(page.locator("#messages .msg.sent")).to_have_count(len(CONVERSATION) + 1)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#composer-input").blur()
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        expect(message(page, "Sounds good, see you at 2")).to_be_in_viewport()
        # Nothing sticks out sideways on any screen size.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        path = ARTIFACTS / f"chat-{label}-{scheme}.png"
        page.screenshot(path=path, animations="disabled")
        assert path.stat().st_size > 10_000
