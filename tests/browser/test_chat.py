"""The chat app in real tabs: live delivery, many tabs on one connection, history, rooms, safety."""

from __future__ import annotations

import httpx
from playwright.sync_api import Request, expect

from tests.browser.conftest import Chat
from tests.browser.ui import PHONE, history_texts, message, post, send, sent_texts, signed_in


def test_two_people_see_each_other_live(chat: Chat) -> None:
    alice = chat.open(chat.person("alice"))
    bob = chat.open(chat.person("bob"))

    send(alice, "hello bob")
    expect(message(bob, "hello bob")).to_have_count(1)
    expect(bob.locator("#messages .msg.theirs .author")).to_have_text(["alice"])
    expect(message(alice, "hello bob")).to_have_count(1)
    expect(alice.locator("#messages .msg.mine")).to_have_count(1)
    expect(bob.locator("#announcer")).to_contain_text("alice: hello bob")

    # Shift+Enter makes a new line, Enter sends; the box is empty afterwards.
    box = bob.locator("#composer-input")
    box.press_sequentially("first line")
    box.press("Shift+Enter")
    box.press_sequentially("second line")
    box.press("Enter")
    expect(box).to_have_value("")
    reply = alice.locator("#messages .msg.theirs .text")
    expect(reply).to_have_count(1)
    assert reply.evaluate("el => el.textContent") == "first line\nsecond line"
    assert history_texts(chat.base_url, "general") == ["hello bob", "first line\nsecond line"]


def test_eight_tabs_share_one_stream(chat: Chat) -> None:
    person = chat.person("carol")
    streams: list[str] = []

    def on_request(request: Request) -> None:
        if request.url.split("?")[0].endswith("/events"):
            streams.append(request.url)

    person.on("request", on_request)
    tabs = [chat.open(person) for _ in range(8)]

    texts = [f"from tab {i}" for i in range(8)]
    for tab, text in zip(tabs, texts, strict=True):
        send(tab, text)
    for tab in tabs:
        for text in texts:
            expect(message(tab, text)).to_have_count(1)
        assert sorted(sent_texts(tab)) == sorted(texts)
    # Beyond six tabs only works if they share: one tab streams for all of them.
    assert len(streams) == 1, streams
    assert sorted(history_texts(chat.base_url, "general")) == sorted(texts)


def test_reload_shows_history_as_text_and_links_safely(chat: Chat) -> None:
    page = chat.open(chat.person("dave"))
    hostile = "<img src=x onerror=alert(1)>"
    script = "<script>alert(2)</script>"
    link = "docs at https://example.com/a_(b)?q=1, and javascript:alert(3)"
    for text in (hostile, script, link):
        send(page, text)
        expect(message(page, text)).to_have_count(1)

    page.reload()
    expect(message(page, hostile)).to_have_count(1)
    expect(message(page, script)).to_have_count(1)
    expect(message(page, link)).to_have_count(1)
    assert page.locator("#messages img, #messages script").count() == 0

    anchors = page.locator("#messages .msg a")
    expect(anchors).to_have_count(1)
    expect(anchors).to_have_attribute("href", "https://example.com/a_(b)?q=1")
    expect(anchors).to_have_attribute("target", "_blank")
    expect(anchors).to_have_attribute("rel", "noopener noreferrer")
    page.wait_for_timeout(300)  # give a stray handler the chance to fire; the fixture checks dialogs


def test_scrolling_up_loads_older_history(chat: Chat) -> None:
    texts = [f"message {i:03}" for i in range(120)]
    with signed_in(chat.base_url, "seed") as http:
        for text in texts:
            post(http, text)
    page = chat.open(chat.person("erin"))
    # The newest page first, at the bottom; each scroll to the top fetches the page before.
    expect(message(page, "message 119")).to_be_in_viewport()
    expect(page.locator("#messages .msg.sent")).to_have_count(50)
    scroller = page.locator("#scroller")
    for shown, oldest_before in ((100, "message 070"), (120, "message 020")):
        scroller.evaluate("el => el.scrollTop = 0")
        expect(page.locator("#messages .msg.sent")).to_have_count(shown)
        # The reader stays where they were: older messages appear above, out of sight.
        expect(message(page, oldest_before)).to_be_in_viewport()
    assert sent_texts(page) == texts
    expect(page.locator("#top-note")).to_have_text("This is the start of #general.")


def test_rooms_live_in_the_url_and_are_remembered(chat: Chat) -> None:
    person = chat.person("fay")
    page = chat.open(person)
    page.locator("#join-input").fill("Dev Team")
    page.locator("#join-input").press("Enter")
    expect(page).to_have_url(f"{chat.base_url}/chat/#dev-team")
    expect(page.locator("#room-name")).to_have_text("dev-team")
    send(page, "in dev")
    expect(message(page, "in dev")).to_have_count(1)

    # A link opens the room; a fresh tab without one opens the last room used.
    other = chat.open(chat.person("gus"), "dev-team")
    expect(message(other, "in dev")).to_have_count(1)
    again = chat.open(person, None)
    expect(again.locator("#room-name")).to_have_text("dev-team")
    expect(message(again, "in dev")).to_have_count(1)

    # Switching back by the room list; messages stay in their rooms.
    page.locator("#room-list a", has_text="general").click()
    expect(page).to_have_url(f"{chat.base_url}/chat/#general")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    expect(message(page, "in dev")).to_have_count(0)
    assert history_texts(chat.base_url, "general") == []

    page.locator("#join-input").fill("no/slashes")
    page.locator("#join-input").press("Enter")
    expect(page.locator("#join-error")).to_contain_text("1–64 characters")
    expect(page).to_have_url(f"{chat.base_url}/chat/#general")


def test_name_is_claimed_remembered_and_used(chat: Chat) -> None:
    page = chat.open(chat.person("hana"))
    name = page.locator("#name-input")
    error = page.locator("#name-error")
    expect(name).to_have_value("hana")

    name.fill("Hana K")
    name.press("Enter")
    expect(error).to_contain_text("no spaces")
    expect(name).to_have_attribute("aria-invalid", "true")

    with signed_in(chat.base_url, "taken"):
        name.fill("taken")
        name.press("Enter")
        expect(error).to_contain_text("in use")

    name.fill("Hana_K")
    name.press("Enter")
    expect(page.locator("#composer-input")).to_be_focused()
    expect(error).to_be_hidden()
    send(page, "renamed")
    expect(message(page, "renamed")).to_have_count(1)
    expect(page.locator("#messages .msg.mine")).to_have_count(1)
    r = httpx.get(f"{chat.base_url}/api/rooms/general/messages", timeout=5)
    assert [m["user"] for m in r.json()["messages"]] == ["Hana_K"]
    page.reload()
    expect(page.locator("#name-input")).to_have_value("Hana_K")


def test_controls_are_labelled_and_work_from_the_keyboard(chat: Chat) -> None:
    page = chat.open(chat.person("pat"))
    for role, name in [
        ("textbox", "Message"),
        ("button", "Send"),
        ("textbox", "Name"),
        ("textbox", "Join or create a room"),
        ("button", "Join"),
        ("region", "Messages in #general"),
        ("link", "general"),
    ]:
        expect(page.get_by_role(role, name=name, exact=True)).to_have_count(1)  # type: ignore[arg-type]

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to message box")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#composer-input")).to_be_focused()
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Enter")
    expect(message(page, "typed without a mouse")).to_have_count(1)
    expect(page).to_have_url(f"{chat.base_url}/chat/#general")


def test_reader_scrolled_up_gets_a_new_messages_pill(chat: Chat) -> None:
    with signed_in(chat.base_url, "quinn") as http:
        for i in range(40):
            post(http, f"old {i:02}")
        page = chat.open(chat.person("rosa"))
        pill = page.locator("#new-pill")

        # At the bottom, new messages scroll into view by themselves.
        post(http, "while reading")
        expect(message(page, "while reading")).to_be_in_viewport()
        expect(pill).to_be_hidden()

        # Scrolled up, the reader stays put and is told instead.
        page.locator("#scroller").evaluate("el => el.scrollTop = el.scrollHeight / 2")
        post(http, "while away")
        expect(pill).to_have_text("1 new message ↓")
        expect(message(page, "while away")).not_to_be_in_viewport()
        pill.click()
        # A message arriving while the smooth scroll runs must not cut it short.
        post(http, "during the scroll")
        expect(message(page, "during the scroll")).to_be_in_viewport()
        expect(pill).to_be_hidden()


def test_rooms_drawer_on_a_phone(chat: Chat) -> None:
    page = chat.open(chat.person("sol", viewport=PHONE))
    toggle = page.get_by_role("button", name="Rooms")
    join = page.get_by_role("textbox", name="Join or create a room")
    expect(join).to_be_hidden()

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="general")).to_be_focused()
    page.keyboard.press("Escape")
    expect(join).to_be_hidden()
    expect(toggle).to_be_focused()

    page.keyboard.press("Enter")
    join.fill("phones")
    join.press("Enter")
    expect(page).to_have_url(f"{chat.base_url}/chat/#phones")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(join).to_be_hidden()
    send(page, "from a phone")
    expect(message(page, "from a phone")).to_have_count(1)
