"""Rooms: the list with unread counts, creating rooms, private rooms and their members."""

from __future__ import annotations

import httpx
from playwright.sync_api import Request, expect

from tests.browser.conftest import Chat
from tests.browser.ui import message, post, room_link, send, signed_in


def test_private_room_is_for_its_members_only(chat: Chat) -> None:
    bob = chat.open(chat.person("bob"))  # a member must hold the name: nothing is reserved for a name
    alice = chat.open(chat.person("alice"))
    alice.get_by_role("button", name="New room").click()
    dialog = alice.get_by_role("dialog", name="New room")
    dialog.get_by_label("Room name").fill("Secret Plans")
    dialog.get_by_label("Topic (optional)").fill("what we <b>really</b> think")
    expect(dialog.get_by_label("Members", exact=True)).to_be_hidden()
    dialog.get_by_label("Private: only its members can see it").check()
    dialog.get_by_label("Members", exact=True).fill("bob")
    dialog.get_by_role("button", name="Create room").click()
    expect(dialog).to_be_hidden()
    expect(alice).to_have_url(f"{chat.base_url}/chat/#secret-plans")
    expect(alice.locator("#room-topic")).to_have_text("what we <b>really</b> think")
    expect(room_link(alice, "secret-plans")).to_have_accessible_name("secret-plans (private)")
    send(alice, "psst")
    expect(message(alice, "psst")).to_have_count(1)

    # Creating it again is refused, with the server's reason.
    alice.get_by_role("button", name="New room").click()
    dialog.get_by_label("Room name").fill("secret-plans")
    dialog.get_by_role("button", name="Create room").click()
    expect(dialog.get_by_role("alert")).to_contain_text("already exists")
    dialog.get_by_role("button", name="Cancel").click()

    # The member finds it in the list and chats; the room's people list shows its members.
    bob.reload()
    room_link(bob, "secret-plans").click()
    expect(message(bob, "psst")).to_have_count(1)
    send(bob, "count me in")
    expect(message(alice, "count me in")).to_have_count(1)
    expect(alice.locator("#member-list .person-name")).to_have_text(["alice", "bob"])

    # Anyone else sees neither the room nor its messages, even by its address.
    carol = chat.open(chat.person("carol"))
    expect(carol.locator("#room-list a")).to_have_count(1)  # general only
    carol.goto(f"{chat.base_url}/chat/#secret-plans")
    expect(carol.locator("#top-note")).to_have_text(
        "#secret-plans is a private room. Ask one of its members to add you."
    )
    expect(carol.locator("#composer-input")).to_be_disabled()
    expect(carol.locator("#messages .msg")).to_have_count(0)
    assert httpx.get(f"{chat.base_url}/api/rooms/secret-plans/messages", timeout=5).status_code == 401

    # A member adds her; once she looks again, the room is hers too.
    alice.get_by_label("Add a member").fill("carol")
    alice.get_by_label("Add a member").press("Enter")
    expect(alice.locator("#member-list .person-name")).to_have_text(["alice", "bob", "carol"])
    carol.reload()
    expect(message(carol, "psst")).to_have_count(1)
    expect(room_link(carol, "secret-plans")).to_be_visible()


def test_unread_badges_count_other_rooms_and_clear_when_read(chat: Chat) -> None:
    person = chat.person("una")
    streams: list[str] = []

    def on_request(request: Request) -> None:
        if request.url.split("?")[0].endswith("/events"):
            streams.append(request.url)

    person.on("request", on_request)
    page = chat.open(person)
    page.locator("#join-input").fill("side")
    page.locator("#join-input").press("Enter")
    expect(page.locator("#room-name")).to_have_text("side")
    room_link(page, "general").click()
    expect(page.locator("#room-name")).to_have_text("general")

    http = signed_in(chat.base_url, "vic")
    for i in range(3):
        post(http, f"side note {i}", room="side")
    post(http, "in general")
    expect(message(page, "in general")).to_have_count(1)
    badge = room_link(page, "side").locator(".badge")
    expect(badge).to_have_text("3")
    expect(room_link(page, "side")).to_have_accessible_name("side, 3 unread")
    expect(room_link(page, "general").locator(".badge")).to_have_count(0)

    room_link(page, "side").click()
    expect(message(page, "side note 2")).to_have_count(1)
    expect(badge).to_have_count(0)
    room_link(page, "general").click()
    expect(page.locator("#room-name")).to_have_text("general")
    expect(badge).to_have_count(0)
    # One stream for both rooms: opened for general, opened again when side joined it.
    assert len(streams) == 2, streams
    assert "rooms=general%2Cside" in streams[-1] or "rooms=side%2Cgeneral" in streams[-1], streams

    # Read on the server too: a fresh page counts nothing unread there, and then one.
    page.reload()
    expect(room_link(page, "side")).to_be_visible()
    post(http, "one more", room="side")
    expect(badge).to_have_text("1")
    http.close()


def test_being_added_to_a_private_room_shows_it_at_once(chat: Chat) -> None:
    dan = chat.open(chat.person("dan"))
    with signed_in(chat.base_url, "erin") as erin:
        erin.post("/api/rooms", json={"name": "hideout", "private": True}).raise_for_status()
        expect(room_link(dan, "general")).to_have_count(1)
        expect(room_link(dan, "hideout")).to_have_count(0)
        erin.post("/api/rooms/hideout/members", json={"name": "dan"}).raise_for_status()
        expect(room_link(dan, "hideout")).to_have_count(1, timeout=5_000)  # not the 60 s poll
