"""Search within a room's kept history: newest first, a page at a time, a result jumps to its
message."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Chat
from tests.browser.ui import message, post, row, signed_in


def test_search_a_rooms_history_and_jump_to_a_result(chat: Chat) -> None:
    with signed_in(chat.base_url, "lee") as lee:
        post(lee, "The DEPLOY of <b>monday</b>")
        for i in range(24):
            post(lee, f"deploy step {i:02}")
        for i in range(60):
            post(lee, f"noise {i:02}")
        post(lee, "elsewhere: deploy", room="other")
    page = chat.open(chat.person("max"))
    expect(message(page, "noise 59")).to_be_visible()
    page.get_by_role("button", name="Search").click()
    box = page.get_by_role("searchbox", name="Search #general")
    expect(box).to_be_focused()
    box.fill("Deploy")
    box.press("Enter")
    results = page.locator("#search-results .search-result")
    expect(results).to_have_count(20)
    expect(page.locator("#search-status")).to_have_text("20+ messages with “Deploy”")
    expect(results.first.locator(".search-text")).to_have_text("deploy step 23")  # newest first
    expect(results.first.locator("mark")).to_have_text("deploy")
    page.get_by_role("button", name="More results").click()
    expect(results).to_have_count(25)
    expect(page.locator("#search-status")).to_have_text("25 messages with “Deploy”")
    expect(page.get_by_role("button", name="More results")).to_be_hidden()
    oldest = results.last
    expect(oldest.locator(".search-text")).to_have_text("The DEPLOY of <b>monday</b>")
    expect(oldest.locator("mark")).to_have_text("DEPLOY")
    assert page.locator("#search-results b").count() == 0

    # The oldest result is far beyond the loaded pages: they load until it shows.
    oldest.click()
    expect(message(page, "The DEPLOY of <b>monday</b>")).to_be_in_viewport()
    expect(row(page, "The DEPLOY of <b>monday</b>")).to_be_focused()

    box.fill("nothing like this")
    box.press("Enter")
    expect(page.locator("#search-status")).to_have_text("Nothing in #general with “nothing like this”.")
    expect(results).to_have_count(0)
    box.press("Escape")
    expect(page.locator("#search")).to_be_hidden()
    expect(page.get_by_role("button", name="Search")).to_be_focused()
