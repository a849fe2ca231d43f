"""Names: the first-visit prompt, guests, and names kept with a password across browsers."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import Chat
from tests.browser.ui import choose_name, message, name_dialog, send


def test_register_with_a_password_then_sign_in_from_another_browser(chat: Chat) -> None:
    first = chat.open(chat.person(None))
    dialog = name_dialog(first)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Choose a name")
    expect(dialog.get_by_label("Your name")).to_be_focused()
    # No way around it: a name is needed, so Escape does not close it (not even twice).
    first.keyboard.press("Escape")
    first.keyboard.press("Escape")
    expect(dialog).to_be_visible()

    choose_name(first, "grace", "short")
    expect(dialog.get_by_role("alert")).to_contain_text("at least 8 characters")
    choose_name(first, "grace", "correct horse")
    expect(dialog).to_be_hidden()
    expect(first.get_by_role("button", name="Account: grace, registered")).to_be_visible()
    expect(first.locator("#name-input")).to_have_value("grace")
    send(first, "registered hello")
    expect(message(first, "registered hello")).to_have_count(1)

    # Another browser: the name is not free for a guest, a wrong password is refused.
    second = chat.open(chat.person(None))
    dialog = name_dialog(second)
    choose_name(second, "Grace")
    expect(dialog.get_by_role("alert")).to_contain_text("registered name")
    choose_name(second, "grace", "wrong password")
    expect(dialog.get_by_role("alert")).to_have_text("That name is registered and the password does not match")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Password (optional)")).to_be_focused()
    choose_name(second, "grace", "correct horse")
    expect(dialog).to_be_hidden()

    # Both browsers speak as the same person.
    expect(message(second, "registered hello")).to_have_count(1)
    expect(second.locator("#messages .msg.mine")).to_have_count(1)
    send(second, "from the second browser")
    expect(first.locator("#messages .msg.mine .text")).to_have_text(["registered hello", "from the second browser"])
    r = httpx.get(f"{chat.base_url}/api/rooms/general/messages", timeout=5)
    assert [m["user"] for m in r.json()["messages"]] == ["grace", "grace"]

    # Signing out forgets the session here; the name stays registered.
    second.get_by_role("button", name="Account: grace, registered").click()
    dialog.get_by_role("button", name="Sign out").click()
    expect(dialog.get_by_role("heading")).to_have_text("Choose a name")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_hidden()
    expect(second.locator("#messages .msg.mine")).to_have_count(0)
    assert second.evaluate("localStorage.getItem('chat.session')") is None


def test_a_guest_name_in_use_is_refused_until_released(chat: Chat) -> None:
    zoe = chat.open(chat.person("zoe"))
    expect(zoe.get_by_role("button", name="Account: zoe, guest")).to_be_visible()

    other = chat.open(chat.person(None))
    choose_name(other, "ZOE")  # names are the same whatever their case
    expect(name_dialog(other).get_by_role("alert")).to_contain_text("in use")
    expect(name_dialog(other)).to_be_visible()

    # Renaming gives the old name back at once, instead of when it would lapse.
    name = zoe.locator("#name-input")
    name.fill("zoe-b")
    name.press("Enter")
    expect(zoe.get_by_role("button", name="Account: zoe-b, guest")).to_be_visible()
    choose_name(other, "ZOE")
    expect(name_dialog(other)).to_be_hidden()
    send(other, "I am zoe now")
    expect(message(zoe, "I am zoe now")).to_have_count(1)
    expect(zoe.locator("#messages .msg.theirs .author")).to_have_text(["ZOE"])

    # A guest can keep the name by adding a password; then it is no longer a guest's to take.
    other.get_by_role("button", name="Account: ZOE, guest").click()
    expect(name_dialog(other).get_by_role("heading")).to_have_text("Your name")
    choose_name(other, "ZOE", "a long password")
    expect(other.get_by_role("button", name="Account: ZOE, registered")).to_be_visible()
    r = httpx.post(f"{chat.base_url}/api/session", json={"name": "zoe"}, timeout=5)
    assert r.status_code == 409 and r.json()["error"]["code"] == "name_registered"


def test_renaming_keeps_your_messages_yours(chat: Chat) -> None:
    page = chat.open(chat.person("early"))
    send(page, "before the rename")
    expect(message(page, "before the rename")).to_have_count(1)
    field = page.locator("#name-input")
    field.fill("later")
    field.press("Enter")
    expect(page.get_by_role("button", name="Account: later, guest")).to_be_visible()
    send(page, "after the rename")
    expect(page.locator("#messages .msg.mine .text")).to_have_text(["before the rename", "after the rename"])
    messages = httpx.get(f"{chat.base_url}/api/rooms/general/messages", timeout=5).json()["messages"]
    assert [m["user"] for m in messages] == ["early", "later"]
    assert messages[0]["user_id"] == messages[1]["user_id"]
    # The old name is free for someone else, who is someone else.
    other = chat.open(chat.person("early"))
    expect(other.locator("#messages .msg.mine")).to_have_count(0)
