"""Accessibility: axe-core finds nothing serious or critical in the app's states (light and dark,
desktop and phone), tap targets are big enough on a phone, and keyboard focus goes where the
user is headed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import scan
from tests.browser.conftest import Chat
from tests.browser.ui import DESKTOP, PHONE, expect_live, message, post, room_link, row, send, signed_in


def assert_clean(page: Page, where: str) -> None:
    found = scan(page)
    report = "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n  " + "\n  ".join(v["targets"]) for v in found)
    assert found == [], f"{where}: {report}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious(chat: Chat, scheme: str) -> None:
    with signed_in(chat.base_url, "maria") as maria:
        ada = chat.person("ada", bypass_csp=True, color_scheme=scheme)
        page = chat.open(ada)
        body = {"name": "plans", "topic": "Secret plans", "private": True, "members": ["ada"]}
        maria.post("/api/rooms", json=body).raise_for_status()
        first = post(maria, "Hello **ada**, see `code`, _this_ and https://example.com\n> quoted", room="plans")
        expect(room_link(page, "plans")).to_be_visible()
        room_link(page, "plans").click()
        expect(page.locator("#room-name")).to_have_text("plans")
        send(page, "Mine, with a timestamp")
        expect(message(page, "Mine, with a timestamp")).to_have_count(1)
        room_link(page, "general").click()
        expect(page.locator("#room-name")).to_have_text("general")

        # Back in #plans later: news, a mention, a reply, an edit, a deletion, reactions.
        mine = page.evaluate("fetch('/api/rooms/plans/messages').then((r) => r.json())")["messages"][-1]["id"]
        maria.put(f"/api/rooms/plans/messages/{mine}/reactions/%F0%9F%91%8D").raise_for_status()
        reply = {"text": "@ada replying\n```\ncode block\n```", "reply_to": first}
        maria.post("/api/rooms/plans/messages", json=reply).raise_for_status()
        edited = post(maria, "tpyo", room="plans")
        maria.patch(f"/api/rooms/plans/messages/{edited}", json={"text": "typo"}).raise_for_status()
        gone = post(maria, "oops", room="plans")
        maria.delete(f"/api/rooms/plans/messages/{gone}").raise_for_status()
        post(maria, "Welcome @ada")
        expect(room_link(page, "plans")).to_have_accessible_name("plans, 3 unread, 1 mention (private)")
        expect_live(page)
        assert_clean(page, f"desktop {scheme}")

        room_link(page, "plans").click()
        expect(page.locator("#new-since")).to_be_visible()
        expect(message(page, "typo")).to_have_count(1)
        row(page, "Mine, with a timestamp").hover()
        expect(row(page, "Mine, with a timestamp").locator(".reaction")).to_have_text(["👍 1"])
        assert_clean(page, f"a room with replies, reactions and a mention, {scheme}")
        row(page, "Mine, with a timestamp").get_by_role("button", name="Add a reaction").click()
        expect(page.get_by_role("dialog", name="Choose a reaction")).to_be_visible()
        assert_clean(page, f"emoji picker {scheme}")
        page.keyboard.press("Escape")
        row(page, "Mine, with a timestamp").get_by_role("button", name="Delete").click()
        expect(page.get_by_role("dialog", name="Delete this message?")).to_be_visible()
        assert_clean(page, f"delete dialog {scheme}")
        page.get_by_role("button", name="Cancel").click()
        page.get_by_role("button", name="Leave #plans").click()
        expect(page.get_by_role("dialog", name="Leave #plans?")).to_be_visible()
        assert_clean(page, f"leave dialog {scheme}")
        page.get_by_role("button", name="Cancel").click()
        page.get_by_role("button", name="Search").click()
        page.get_by_role("searchbox").fill("ada")
        page.get_by_role("searchbox").press("Enter")
        expect(page.locator("#search-results li")).to_have_count(2)
        assert_clean(page, f"search {scheme}")
        page.keyboard.press("Escape")
        action = row(page, "typo")
        action.hover()
        action.get_by_role("button", name="Reply").click()
        expect(page.locator("#composer-context")).to_be_visible()
        assert_clean(page, f"replying {scheme}")

        page.set_viewport_size(PHONE)
        assert_clean(page, f"phone {scheme}")
        page.get_by_role("button", name="Rooms").click()
        expect(room_link(page, "general")).to_be_in_viewport()
        assert_clean(page, f"phone drawer {scheme}")
        page.keyboard.press("Escape")
        page.set_viewport_size(DESKTOP)
        page.get_by_role("button", name="Account: ada, guest").click()
        expect(page.locator("#account")).to_be_visible()
        assert_clean(page, f"account dialog {scheme}")


def test_a_phone_has_big_tap_targets_and_enter_types_a_new_line(chat: Chat) -> None:
    page = chat.open(chat.person("tess", viewport=PHONE, has_touch=True, is_mobile=True))
    small = page.evaluate(
        """() => [...document.querySelectorAll("button, a[href], input, textarea")]
          // A file input is tapped through its label (the input itself is visually hidden).
          .map((el) => (el.type === "file" && el.labels.length ? el.labels[0] : el))
          .filter((el) => el.checkVisibility() && !el.closest(".sr-only, .skip-link"))
          .map((el) => [el.id || el.className || el.tagName, el.getBoundingClientRect()])
          .filter(([, r]) => r.width < 44 || r.height < 44)
          .map(([name, r]) => `${name} ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )
    assert small == []
    for control in ("Account: tess, guest", "Send", "Rooms"):
        rect = page.get_by_role("button", name=control).bounding_box()
        assert rect is not None and rect["width"] >= 44 and rect["height"] >= 44, (control, rect)

    # A touch keyboard has no Shift+Enter: Enter breaks the line, the button sends.
    box = page.locator("#composer-input")
    expect(box).to_have_attribute("enterkeyhint", "enter")
    box.fill("first line")
    box.press("Enter")
    page.keyboard.type("second line")
    expect(box).to_have_value("first line\nsecond line")
    expect(page.locator("#messages .msg")).to_have_count(0)
    page.get_by_role("button", name="Send").tap()
    expect(message(page, "first line\nsecond line")).to_have_count(1)
    expect(box).to_have_value("")


def test_switching_rooms_from_the_list_puts_focus_in_the_message_box(chat: Chat) -> None:
    page = chat.open(chat.person("kai"))
    page.locator("#join-input").fill("elsewhere")
    page.locator("#join-input").press("Enter")
    expect(page.locator("#room-name")).to_have_text("elsewhere")
    expect(page.locator("#composer-input")).to_be_focused()
    room_link(page, "general").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#room-name")).to_have_text("general")
    expect(page.locator("#composer-input")).to_be_focused()
    page.keyboard.type("straight in")
    page.keyboard.press("Enter")
    expect(message(page, "straight in")).to_have_count(1)


def test_similar_names_get_distinct_colours(chat: Chat) -> None:
    page = chat.open(chat.person("viewer"))
    for i in range(10):
        with signed_in(chat.base_url, f"user{i}") as http:
            post(http, f"hello from user{i}")
    avatars = page.locator("#messages .msg.theirs .avatar")
    expect(avatars).to_have_count(10)
    hues = [float(h) for h in avatars.evaluate_all("els => els.map((a) => a.style.getPropertyValue('--hue'))")]
    gaps = [min(abs(a - b), 360 - abs(a - b)) for i, a in enumerate(hues) for b in hues[i + 1 :]]
    assert min(gaps) >= 15, hues


def test_a_private_rooms_header_shows_its_lock(chat: Chat) -> None:
    page = chat.open(chat.person("lou"))
    with signed_in(chat.base_url, "mo") as mo:
        mo.post("/api/rooms", json={"name": "vault", "private": True, "members": ["lou"]}).raise_for_status()
    page.reload()
    room_link(page, "vault").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_accessible_name("vault (private)")
    expect(page.locator("#room-icon .lock")).to_be_visible()
    expect(page.locator("#room-icon .hash")).to_have_count(0)
    room_link(page, "general").click()
    expect(heading).to_have_accessible_name("general")
    expect(page.locator("#room-icon .hash")).to_be_visible()


def test_a_messages_actions_are_reached_from_the_keyboard(chat: Chat) -> None:
    page = chat.open(chat.person("kim"))
    with signed_in(chat.base_url, "lia") as lia:
        post(lia, "first from lia")
        post(lia, "second from lia")
    expect(message(page, "second from lia")).to_have_count(1)
    page.locator("#scroller").focus()
    page.keyboard.press("ArrowUp")
    expect(row(page, "second from lia")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(row(page, "first from lia")).to_be_focused()
    page.keyboard.press("Tab")
    expect(row(page, "first from lia").get_by_role("button", name="Add a reaction")).to_be_focused()
    page.keyboard.press("Tab")
    reply = row(page, "first from lia").get_by_role("button", name="Reply")
    expect(reply).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#composer-input")).to_be_focused()
    expect(page.locator("#composer-context")).to_contain_text("Replying to lia")
    page.keyboard.press("Escape")
    expect(page.locator("#composer-context")).to_be_hidden()
    # Hidden toolbars are not in the way: from the list, Tab reaches the attach control, then
    # the message box.
    page.locator("#scroller").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#attach-input")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#composer-input")).to_be_focused()
