"""Mentions: a badge on rooms where you were mentioned, and a desktop notification while the
tab is hidden, once you turned them on."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Chat
from tests.browser.ui import message, post, room_link, signed_in

# The page's own Notification, recorded; and a way for the test to hide the tab (headless tabs
# are always visible).
RECORD = """
window.notes = [];
if (window.Notification) {
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      window.notes.push({ title, body: options && options.body });
      document.documentElement.dataset.notes = String(window.notes.length);
    }
  };
}
let hidden = false;
Object.defineProperty(document, "visibilityState", { get: () => (hidden ? "hidden" : "visible") });
Object.defineProperty(document, "hidden", { get: () => hidden });
window.setHidden = (value) => {
  hidden = value;
  document.dispatchEvent(new Event("visibilitychange"));
};
"""


def notes(page: Page) -> list[dict[str, str]]:
    return list(page.evaluate("window.notes"))


def test_rooms_where_you_were_mentioned_get_a_badge(chat: Chat) -> None:
    page = chat.open(chat.person("rita"))
    page.evaluate("localStorage.setItem('chat.rooms', JSON.stringify(['general', 'ops']))")
    page.reload()
    link = room_link(page, "ops")
    with signed_in(chat.base_url, "sam") as sam:
        post(sam, "nothing for rita", room="ops")
        expect(link).to_have_accessible_name("ops, 1 unread")
        post(sam, "@rita can you look?", room="ops")
        expect(link).to_have_accessible_name("ops, 2 unread, 1 mention")
        expect(link.locator(".badge.mention")).to_be_visible()
        post(sam, "@someone else", room="ops")
        expect(link).to_have_accessible_name("ops, 3 unread, 1 mention")

    # The server counts them too: a fresh page shows the same.
    page.reload()
    expect(link).to_have_accessible_name("ops, 3 unread, 1 mention")
    link.click()
    expect(message(page, "@rita can you look?")).to_have_count(1)
    room_link(page, "general").click()
    expect(link).to_have_accessible_name("ops")
    expect(link.locator(".badge")).to_have_count(0)


def test_a_mention_notifies_only_when_turned_on_and_the_tab_is_hidden(chat: Chat) -> None:
    person = chat.person("tom", permissions=["notifications"])
    person.add_init_script(RECORD)
    page = chat.open(person)
    bell = page.get_by_role("button", name="Notify me of mentions")
    expect(bell).to_have_attribute("aria-pressed", "false")
    with signed_in(chat.base_url, "uma") as uma:
        page.evaluate("setHidden(true)")
        post(uma, "@tom before you asked")
        expect(message(page, "@tom before you asked")).to_have_count(1)
        bell.click()  # asks the browser for permission, on the user's click
        expect(bell).to_have_attribute("aria-pressed", "true")
        page.evaluate("setHidden(false)")
        post(uma, "@tom while you look")
        expect(message(page, "@tom while you look")).to_have_count(1)
        page.evaluate("setHidden(true)")
        post(uma, "not about tom")
        post(uma, "@tom while away")
        expect(page.locator("html")).to_have_attribute("data-notes", "1")
        expect(message(page, "not about tom")).to_have_count(1)
    assert notes(page) == [{"title": "uma mentioned you in #general", "body": "@tom while away"}]
    page.reload()  # remembered
    expect(bell).to_have_attribute("aria-pressed", "true")
