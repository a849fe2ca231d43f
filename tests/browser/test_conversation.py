"""Edits, deletions, replies and reactions in the browser, seen live by everyone in the room."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Chat
from tests.browser.ui import PHONE, message, only_streams_fill_gaps, post, row, send, signed_in


def history(base_url: str, room: str = "general") -> list[dict[str, object]]:
    r = httpx.get(f"{base_url}/api/rooms/{room}/messages", params={"limit": 200}, timeout=5)
    r.raise_for_status()
    return list(r.json()["messages"])


def action(page: Page, text: str, name: str) -> None:
    """Clicks one of the toolbar's buttons of the message whose text is `text`."""
    target = row(page, text)
    target.hover()
    target.get_by_role("button", name=name, exact=True).click()


def test_edit_and_delete_your_own_messages(chat: Chat) -> None:
    ada = chat.open(chat.person("ada"))
    bob = chat.open(chat.person("bob"))
    send(ada, "frist")
    send(bob, "bob's own")
    expect(message(ada, "bob's own")).to_have_count(1)

    # ArrowUp in the empty box edits the last message of one's own.
    box = ada.locator("#composer-input")
    box.press("ArrowUp")
    expect(ada.locator("#composer-context")).to_contain_text("Editing your message")
    expect(box).to_have_value("frist")
    box.fill("first")
    box.press("Enter")
    for page in (ada, bob):
        expect(message(page, "first")).to_have_count(1)
        expect(row(page, "first").locator(".edited")).to_have_text("(edited)")
    expect(ada.locator("#composer-context")).to_be_hidden()
    expect(box).to_have_value("")

    # Escape leaves an edit without changing anything; the toolbar's Edit starts one too.
    action(ada, "first", "Edit")
    expect(box).to_have_value("first")
    box.press("Escape")
    expect(box).to_have_value("")
    expect(ada.locator("#composer-context")).to_be_hidden()

    # Someone else's message can't be edited nor deleted from here.
    row(ada, "bob's own").hover()
    expect(row(ada, "bob's own").get_by_role("button", name="Reply")).to_be_visible()
    expect(row(ada, "bob's own").get_by_role("button", name="Edit")).to_have_count(0)
    expect(row(ada, "bob's own").get_by_role("button", name="Delete")).to_have_count(0)

    action(ada, "first", "Delete")
    dialog = ada.get_by_role("dialog", name="Delete this message?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete").click()
    expect(dialog).to_be_hidden()
    for page in (ada, bob):
        expect(message(page, "first")).to_have_count(0)
        expect(page.locator("#messages .msg.deleted")).to_have_text("This message was deleted.")
    assert [m.get("deleted") for m in history(chat.base_url)] == [True, None]

    # After a reload, history shows them as they now are.
    bob.reload()
    expect(message(bob, "bob's own")).to_have_count(1)
    expect(bob.locator("#messages .msg.deleted")).to_have_count(1)


def test_a_rooms_creator_deletes_others_messages_and_a_member_cannot(chat: Chat) -> None:
    carol = chat.open(chat.person("carol"))
    carol.get_by_role("button", name="New room").click()
    dialog = carol.get_by_role("dialog", name="New room")
    dialog.get_by_label("Room name").fill("carols")
    dialog.get_by_role("button", name="Create room").click()
    expect(carol).to_have_url(f"{chat.base_url}/chat/#carols")
    dave = chat.open(chat.person("dave"), "carols")
    send(carol, "house rules")
    send(dave, "buy cheap stuff")
    expect(message(carol, "buy cheap stuff")).to_have_count(1)
    expect(message(dave, "house rules")).to_have_count(1)

    # A plain member deletes only their own.
    row(dave, "house rules").hover()
    expect(row(dave, "house rules").get_by_role("button", name="Reply")).to_be_visible()
    expect(row(dave, "house rules").get_by_role("button", name="Delete")).to_have_count(0)
    row(dave, "buy cheap stuff").hover()
    expect(row(dave, "buy cheap stuff").get_by_role("button", name="Delete")).to_be_visible()

    # The creator deletes someone else's, after a question saying so; everyone sees it deleted.
    action(carol, "buy cheap stuff", "Delete")
    question = carol.get_by_role("dialog", name="Delete dave's message?")
    expect(question).to_contain_text("someone else's message")
    question.get_by_role("button", name="Delete").click()
    expect(question).to_be_hidden()
    for page in (carol, dave):
        expect(message(page, "buy cheap stuff")).to_have_count(0)
        expect(page.locator("#messages .msg.deleted")).to_have_text("This message was deleted.")
    assert [m.get("deleted") for m in history(chat.base_url, "carols")] == [None, True]

    # After a reload the room list (GET /api/rooms) is what tells the app she moderates the room.
    send(dave, "again")
    carol.reload()
    expect(message(carol, "again")).to_have_count(1)
    row(carol, "again").hover()
    expect(row(carol, "again").get_by_role("button", name="Delete")).to_be_visible()


def test_replies_quote_the_message_answered_and_jump_to_it(chat: Chat) -> None:
    with signed_in(chat.base_url, "cleo") as cleo:
        question = post(cleo, "the question")
        for i in range(70):
            post(cleo, f"chatter {i:02}")
        ada = chat.open(chat.person("ada"))
        expect(message(ada, "chatter 69")).to_be_visible()
        expect(message(ada, "the question")).to_have_count(0)  # older than the first page

        cleo.post("/api/rooms/general/messages", json={"text": "answering myself", "reply_to": question})
    quote = row(ada, "answering myself").locator(".reply-quote")
    expect(quote).to_have_accessible_name("Reply to cleo: the question")
    quote.click()
    expect(message(ada, "the question")).to_be_in_viewport()
    expect(row(ada, "the question")).to_be_focused()

    action(ada, "chatter 69", "Reply")
    expect(ada.locator("#composer-context")).to_contain_text("Replying to cleo")
    send(ada, "my answer")
    mine = row(ada, "my answer")
    expect(mine.locator(".reply-quote")).to_have_accessible_name("Reply to cleo: chatter 69")
    expect(ada.locator("#composer-context")).to_be_hidden()
    last = history(chat.base_url)[-1]
    assert last["text"] == "my answer"
    assert isinstance(last["reply_to"], dict) and last["reply_to"]["text"] == "chatter 69"


def test_reactions_with_the_picker(chat: Chat) -> None:
    ada = chat.open(chat.person("ada"))
    bob = chat.open(chat.person("bob"))
    send(bob, "react to me")
    expect(message(ada, "react to me")).to_have_count(1)

    action(ada, "react to me", "Add a reaction")
    picker = ada.get_by_role("dialog", name="Choose a reaction")
    expect(picker).to_be_visible()
    expect(picker.get_by_role("button", name="thumbs up")).to_be_focused()
    picker.get_by_role("button", name="thumbs up").click()
    expect(picker).to_be_hidden()
    chip = row(ada, "react to me").locator(".reaction")
    expect(chip).to_have_text(["👍 1"])
    expect(chip).to_have_attribute("aria-pressed", "true")
    bob_chip = row(bob, "react to me").locator(".reaction")
    expect(bob_chip).to_have_text(["👍 1"])
    expect(bob_chip).to_have_attribute("aria-pressed", "false")

    bob_chip.click()
    for page in (ada, bob):
        expect(row(page, "react to me").locator(".reaction")).to_have_text(["👍 2"])
    expect(bob_chip).to_have_accessible_name("👍 2: 2 people, you too")

    # From the keyboard: arrows move in the picker, Enter picks, Escape closes it.
    action(ada, "react to me", "Add a reaction")
    ada.keyboard.press("ArrowRight")
    ada.keyboard.press("Enter")
    expect(row(bob, "react to me").locator(".reaction")).to_have_text(["👍 2", "❤️ 1"])
    action(ada, "react to me", "Add a reaction")
    ada.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(row(ada, "react to me").get_by_role("button", name="Add a reaction")).to_be_focused()

    ada.locator("#messages .reaction", has_text="👍").click()
    expect(row(bob, "react to me").locator(".reaction")).to_have_text(["👍 1", "❤️ 1"])
    reactions = history(chat.base_url)[-1]["reactions"]
    assert isinstance(reactions, dict) and list(reactions) == ["👍", "❤️"]
    assert len(reactions["👍"]) == 1


def test_on_a_phone_a_tap_shows_a_messages_actions(chat: Chat) -> None:
    phone = chat.open(chat.person("ned", viewport=PHONE, has_touch=True, is_mobile=True))
    with signed_in(chat.base_url, "ora") as ora:
        post(ora, "tap me")
    target = row(phone, "tap me")
    expect(target.get_by_role("button", name="Reply")).to_be_hidden()
    target.locator(".bubble").tap()
    reply = target.get_by_role("button", name="Reply")
    expect(reply).to_be_visible()
    box = reply.bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44
    reply.tap()
    expect(phone.locator("#composer-context")).to_contain_text("Replying to ora")
    phone.locator("#composer-input").fill("tapped")
    phone.get_by_role("button", name="Send").tap()
    expect(row(phone, "tapped").locator(".reply-quote")).to_have_accessible_name("Reply to ora: tap me")


def test_changes_missed_between_streams_arrive_by_resuming_past_them(
    chat_factory: Callable[[str], Chat], server_factory: Callable[..., Any]
) -> None:
    server = server_factory(sse_max_seconds="1.2")
    chat = chat_factory(server.url)
    person = chat.person("pat")
    catch_ups = only_streams_fill_gaps(person)  # only the stream resuming by id can bring them
    resumes: list[str] = []
    with signed_in(server.url, "quill") as quill:
        one = post(quill, "one")
        two = post(quill, "two")

        def between_streams(route: Route) -> None:
            if "last_event_id=" in route.request.url and len(resumes) < 2:
                resumes.append(route.request.url)
                if len(resumes) == 1:
                    quill.patch(f"/api/rooms/general/messages/{one}", json={"text": "one, edited"})
                    quill.put(f"/api/rooms/general/messages/{one}/reactions/%F0%9F%8E%89")
                else:
                    quill.delete(f"/api/rooms/general/messages/{two}")
            route.continue_()

        person.route("**/api/events?*", between_streams)
        page = chat.open(person)
        expect(page.locator("#messages .msg.deleted")).to_have_count(1)
        expect(message(page, "one, edited")).to_have_count(1)
        expect(row(page, "one, edited").locator(".reaction")).to_have_text(["🎉 1"])
        expect(message(page, "two")).to_have_count(0)
        changes = quill.get("/api/rooms/general/messages", params={"after": two}).json()["changes"]
    assert [c["type"] for c in changes] == ["edit", "reaction", "delete"]
    # The second resume starts after the reaction: changes move the stream's position too.
    assert f"general%3A{changes[1]['id']}" in resumes[1], resumes
    assert catch_ups
