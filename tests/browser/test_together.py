"""Who else is here: the online list, "X is typing…", and "Seen by" under messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Chat
from tests.browser.ui import PHONE, message, post, row, send, signed_in


def test_online_list_shows_who_is_connected(
    chat_factory: Callable[[str], Chat], server_factory: Callable[..., Any]
) -> None:
    # Short presence settings, so that a vanished browser would leave soon even without a goodbye.
    server = server_factory(presence_ttl_seconds="3", presence_refresh_seconds="0.5", presence_grace_seconds="0.5")
    chat = chat_factory(server.url)
    ana = chat.open(chat.person("ana"))
    toggle = ana.locator("#people-toggle")
    online = ana.locator("#online-list .person-name")
    expect(online).to_have_text(["ana"])
    expect(ana.locator("#online-list .you")).to_have_text(["(you)"])

    ben_context = chat.person("ben")
    ben = chat.open(ben_context)
    expect(online).to_have_text(["ana", "ben"])
    expect(toggle).to_have_accessible_name("2 online")
    expect(ben.locator("#online-list .person-name")).to_have_text(["ana", "ben"])

    # The wide layout shows the list beside the messages; the button hides and shows it.
    expect(ana.get_by_role("complementary", name="Online 2")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    panel = ana.locator("#people")
    toggle.click()
    expect(panel).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(panel).to_be_visible()

    ben_context.close()
    expect(online).to_have_text(["ana"])
    expect(toggle).to_have_accessible_name("1 online")

    # On a phone the list is a popover: opened by the count, closed by Escape.
    phone = chat.open(chat.person("cy", viewport=PHONE))
    cy_toggle = phone.get_by_role("button", name="2 online")
    expect(phone.locator("#people")).to_be_hidden()
    cy_toggle.click()
    expect(phone.locator("#online-list .person-name")).to_have_text(["ana", "cy"])
    phone.keyboard.press("Escape")
    expect(phone.locator("#people")).to_be_hidden()
    expect(cy_toggle).to_be_focused()


def test_typing_shows_until_the_message_arrives_or_it_expires(
    chat_factory: Callable[[str], Chat], server_factory: Callable[..., Any]
) -> None:
    # The server's throttle has tests of its own; here it would only hold back eve's second
    # announcement for a while after her first.
    server = server_factory(typing_expires_ms="1500", typing_throttle_ms="1")
    chat = chat_factory(server.url)
    dot = chat.open(chat.person("dot"))
    eve = chat.open(chat.person("eve"))
    line = dot.locator("#typing-text")

    box = eve.locator("#composer-input")
    box.press_sequentially("hello the")
    expect(line).to_have_text("eve is typing…")
    expect(dot.locator("#typing")).to_have_attribute("aria-live", "polite")
    expect(eve.locator("#typing-text")).to_have_text("")  # never for yourself
    box.press_sequentially("re")
    box.press("Enter")
    expect(message(dot, "hello there")).to_have_count(1)
    expect(line).to_have_text("")

    # Two at once, then nobody once the announcements expire.
    box.press_sequentially("one more")
    with signed_in(server.url, "fay") as http:
        http.post("/api/rooms/general/typing").raise_for_status()
        expect(line).to_have_text("eve and fay are typing…")
    expect(line).to_have_text("", timeout=5000)


def test_seen_by_shows_who_read_a_message(chat: Chat) -> None:
    gil = chat.open(chat.person("gil"))
    send(gil, "did you read this?")
    expect(message(gil, "did you read this?")).to_have_count(1)
    seen = gil.locator("#messages .msg .seen")
    expect(seen).to_have_count(0)

    # hal opens the room and is at the bottom: read, and gil is told.
    hal = chat.open(chat.person("hal"))
    expect(message(hal, "did you read this?")).to_have_count(1)
    expect(seen).to_have_text(["Seen by hal"])
    expect(row(gil, "did you read this?").locator(".seen")).to_have_text("Seen by hal")
    # Nobody is "seen" under their own message, by themselves.
    expect(hal.locator("#messages .seen")).to_have_count(0)

    # Readers who are not in a browser count too; a reply moves the line down.
    with signed_in(chat.base_url, "ivy") as http:
        first = post(http, "ivy here")
        http.post("/api/rooms/general/read", json={"id": first}).raise_for_status()
        expect(row(gil, "ivy here").locator(".seen")).to_have_text("Seen by hal")
        expect(seen).to_have_count(1)
        send(hal, "yes")
        expect(message(gil, "yes")).to_have_count(1)
        http.post("/api/rooms/general/read", json={"id": post(http, "me too")}).raise_for_status()
    # hal, at the bottom, has read ivy's last message: the line is under it, and nowhere else.
    expect(row(gil, "me too").locator(".seen")).to_have_text("Seen by hal")
    expect(seen).to_have_count(1)
