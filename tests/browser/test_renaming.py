"""Renaming from the header: only when asked for, and nobody sees a ghost of the old name."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import Chat
from tests.browser.ui import message, send


def test_leaving_the_name_field_renames_nobody(chat: Chat) -> None:
    page = chat.open(chat.person("wren"))
    field = page.locator("#name-input")
    field.fill("wren-typo")
    page.locator("#composer-input").click()  # blur: no rename
    expect(field).to_have_value("wren")
    send(page, "still wren")
    expect(message(page, "still wren")).to_have_count(1)
    messages = httpx.get(f"{chat.base_url}/api/rooms/general/messages", timeout=5).json()["messages"]
    assert [m["user"] for m in messages] == ["wren"]
    expect(page.get_by_role("button", name="Account: wren, guest")).to_be_visible()

    field.fill("another")
    field.press("Escape")
    expect(field).to_have_value("wren")
    expect(field).to_be_focused()


def test_a_rename_keeps_messages_yours_and_leaves_no_ghost_online(chat: Chat) -> None:
    page = chat.open(chat.person("otto"))
    watcher = chat.open(chat.person("pia"))
    send(page, "before")
    expect(message(watcher, "before")).to_have_count(1)
    expect(watcher.locator("#online-list .person-name")).to_have_text(["otto", "pia"])

    field = page.locator("#name-input")
    field.fill("otto2")
    field.press("Enter")
    expect(page.get_by_role("button", name="Account: otto2, guest")).to_be_visible()
    send(page, "after")
    expect(page.locator("#messages .msg.mine .text")).to_have_text(["before", "after"])
    expect(page.locator("#messages .msg.theirs")).to_have_count(0)
    # Everyone's list follows at once: the presence grace (5 s) and refresh (15 s) are not waited for.
    expect(page.locator("#online-list .person-name")).to_have_text(["otto2", "pia"], timeout=3_000)
    expect(watcher.locator("#online-list .person-name")).to_have_text(["otto2", "pia"], timeout=3_000)
    expect(page.locator("#online-list .you")).to_have_count(1)
