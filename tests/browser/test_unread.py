"""Coming back to a room: the "new since you were last here" line and the jump to it; the room
list ordered by activity; leaving a private room and hiding a public one."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import Chat
from tests.browser.ui import message, post, room_link, send, signed_in


def wait_until_read(base_url: str, name: str, text: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        page = httpx.get(f"{base_url}/api/rooms/general/messages", params={"limit": 1}, timeout=5).json()
        last = page["messages"][-1]
        if last["text"] == text and any(r["user"] == name and r["n"] >= last["n"] for r in page["reads"]):
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} never read {text!r}")


def test_new_since_you_were_last_here_and_the_jump_to_it(chat: Chat) -> None:
    page = chat.open(chat.person("nell"))
    with signed_in(chat.base_url, "olaf") as olaf:
        post(olaf, "read already")
        expect(message(page, "read already")).to_have_count(1)
        expect(page.locator("#new-since")).to_have_count(0)  # nothing new while here
        page.locator("#join-input").fill("elsewhere")
        page.locator("#join-input").press("Enter")
        expect(page.locator("#room-name")).to_have_text("elsewhere")
        for i in range(60):
            post(olaf, f"missed {i:02}")
    room_link(page, "general").click()
    expect(message(page, "missed 59")).to_be_in_viewport()
    divider = page.locator("#messages > #new-since")
    expect(divider).to_have_text("New since you were last here")
    # The line sits right above the first message missed, even when older pages had to be loaded.
    jump = page.get_by_role("button", name="Jump to first unread")
    expect(jump).to_be_visible()
    jump.click()
    expect(divider).to_be_in_viewport()
    expect(divider.locator("xpath=following-sibling::li[1]").locator(".text")).to_have_text("missed 00")
    expect(divider.locator("xpath=preceding-sibling::li[1]").locator(".text")).to_have_text("read already")
    expect(jump).to_be_hidden()
    expect(divider).to_be_focused()

    # Read now (as the server knows): a reload finds nothing new.
    wait_until_read(chat.base_url, "nell", "missed 59")
    page.reload()
    expect(message(page, "missed 59")).to_be_visible()
    expect(page.locator("#new-since")).to_have_count(0)
    expect(jump).to_be_hidden()
    # What arrives while the user watches needs no line either.
    with signed_in(chat.base_url, "pia") as pia:
        post(pia, "while you look")
    expect(message(page, "while you look")).to_be_in_viewport()
    expect(page.locator("#new-since")).to_have_count(0)


def test_rooms_are_listed_by_activity(chat: Chat) -> None:
    page = chat.open(chat.person("pim"))
    with signed_in(chat.base_url, "quin") as quin:
        for room in ("alpha", "beta", "gamma"):
            post(quin, f"in {room}", room=room)
        page.evaluate("localStorage.setItem('chat.rooms', JSON.stringify(['general', 'alpha', 'beta', 'gamma']))")
        page.reload()
        links = page.locator("#room-list a")
        order = ["#gamma", "#beta", "#alpha", "#general"]
        for i, href in enumerate(order):
            expect(links.nth(i)).to_have_attribute("href", href)
        post(quin, "alpha again", room="alpha")
        expect(links.first).to_have_attribute("href", "#alpha")
        expect(links.nth(1)).to_have_attribute("href", "#gamma")
        post(quin, "hi general")
        expect(links.first).to_have_attribute("href", "#general")
        expect(links.nth(1)).to_have_attribute("href", "#alpha")


def test_leave_a_private_room_and_hide_a_public_one(chat: Chat) -> None:
    page = chat.open(chat.person("rue"))
    with signed_in(chat.base_url, "sid") as sid:
        sid.post("/api/rooms", json={"name": "inner", "private": True, "members": ["rue"]}).raise_for_status()
        post(sid, "inside", room="inner")
        expect(room_link(page, "inner")).to_be_visible()
        room_link(page, "inner").click()
        expect(message(page, "inside")).to_have_count(1)
        expect(page.get_by_role("button", name="Leave #inner")).to_be_visible()
        page.get_by_role("button", name="Leave #inner").click()
        dialog = page.get_by_role("dialog", name="Leave #inner?")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Leave").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#room-name")).to_have_text("general")
        expect(room_link(page, "inner")).to_have_count(0)
        members = sid.get("/api/rooms/inner/members").json()["members"]
        assert [m["name"] if isinstance(m, dict) else m for m in members] == ["sid"]

        # Added again: it comes back at once.
        sid.post("/api/rooms/inner/members", json={"name": "rue"}).raise_for_status()
        expect(room_link(page, "inner")).to_be_visible()

    # A public room is hidden from the list; joining it again brings it back.
    page.locator("#join-input").fill("lobby")
    page.locator("#join-input").press("Enter")
    send(page, "here I was")
    expect(message(page, "here I was")).to_have_count(1)
    page.get_by_role("button", name="Hide #lobby").click()
    page.get_by_role("dialog", name="Hide #lobby?").get_by_role("button", name="Hide").click()
    expect(room_link(page, "lobby")).to_have_count(0)
    expect(page.locator("#room-name")).not_to_have_text("lobby")
    page.reload()
    expect(room_link(page, "lobby")).to_have_count(0)
    room_link(page, "general").click()
    expect(page.locator("#room-name")).to_have_text("general")
    expect(page.locator("#leave-btn")).to_be_hidden()  # #general stays
