"""The chat app in real tabs: live delivery, many tabs on one connection, history, rooms, safety."""

from __future__ import annotations

import httpx
from playwright.sync_api import Request, expect

from tests.browser.conftest import Chat, message, send, sent_texts


def post(base_url: str, room: str, text: str, user: str = "seed") -> dict[str, object]:
    r = httpx.post(f"{base_url}/api/rooms/{room}/messages", json={"text": text, "user": user}, timeout=5)
    r.raise_for_status()
    result: dict[str, object] = r.json()
    return result


def history_texts(base_url: str, room: str) -> list[str]:
    r = httpx.get(f"{base_url}/api/rooms/{room}/messages", params={"limit": 200}, timeout=5)
    r.raise_for_status()
    return [m["text"] for m in r.json()["messages"]]


def test_two_people_see_each_other_live(chat: Chat) -> None:
    alice = chat.open(chat.person("alice"))
    bob = chat.open(chat.person("bob"))

    send(alice, "hello bob")
    expect(message(bob, "hello bob")).to_have_count(1)
    expect(bob.locator("#messages .msg.theirs .author")).to_have_text(["alice"])
    expect(message(alice, "hello bob")).to_have_count(1)
    expect(alice.locator("#messages .msg.mine")).to_have_count(1)

    # Shift+Enter makes a new line, Enter sends; the box is empty afterwards.
    box = bob.locator("#composer-input")
    box.type("first line")
    box.press("Shift+Enter")
    box.type("second line")
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
    texts = [f"message {i:03}" for i in range(130)]
    for text in texts:
        post(chat.base_url, "general", text)
    page = chat.open(chat.person("erin"))
    # The newest page first, at the bottom.
    expect(message(page, "message 129")).to_be_in_viewport()
    assert len(sent_texts(page)) < len(texts)

    scroller = page.locator("#scroller")
    for _ in range(10):
        if len(sent_texts(page)) == len(texts):
            break
        scroller.evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
        page.wait_for_timeout(200)
    expect(page.locator("#messages .msg.sent")).to_have_count(len(texts))
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
    expect_live_room = page.locator("#conn")
    expect(expect_live_room).to_have_attribute("data-state", "live")
    expect(message(page, "in dev")).to_have_count(0)
    assert history_texts(chat.base_url, "general") == []

    page.locator("#join-input").fill("no/slashes")
    page.locator("#join-input").press("Enter")
    expect(page.locator("#join-error")).to_contain_text("1–64 characters")
    expect(page).to_have_url(f"{chat.base_url}/chat/#general")


def test_name_is_remembered_and_used(chat: Chat) -> None:
    person = chat.person("hana")
    page = chat.open(person)
    name = page.locator("#name-input")
    expect(name).to_have_value("hana")
    name.fill("Hana K")
    name.press("Enter")
    expect(page.locator("#composer-input")).to_be_focused()
    send(page, "renamed")
    expect(message(page, "renamed")).to_have_count(1)
    r = httpx.get(f"{chat.base_url}/api/rooms/general/messages", timeout=5)
    assert [m["user"] for m in r.json()["messages"]] == ["Hana K"]
    page.reload()
    expect(page.locator("#name-input")).to_have_value("Hana K")
