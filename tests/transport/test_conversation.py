"""Edits and deletions over HTTP: who may, what history shows afterwards, and what they leave
untouched (message numbers, unread counts, read positions)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from api.broker import keys
from tests.conftest import make_settings, sign_in
from tests.helpers import entries

URL = "/api/rooms/general/messages"


@pytest.fixture
def admin_client(redis_url: str) -> Iterator[TestClient]:
    """Signed in as the guest "ada", on an app where the registered "boss" is an admin."""
    with TestClient(create_app(make_settings(redis_url, chat_admins="boss"))) as c:
        c.headers.update(sign_in(c, "ada"))
        c.cookies.clear()
        yield c


def send(client: TestClient, text: str, room: str = "general", **headers: str) -> dict[str, Any]:
    r = client.post(f"/api/rooms/{room}/messages", json={"text": text}, headers=headers or None)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


def history(client: TestClient, room: str = "general", **params: object) -> dict[str, Any]:
    r = client.get(f"/api/rooms/{room}/messages", params=params)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def test_the_author_edits_and_history_shows_the_text_as_it_now_is(client: TestClient, redis_sync: redis.Redis) -> None:
    first = send(client, "helo")
    second = send(client, "two")
    r = client.patch(f"{URL}/{first['id']}", json={"text": "hello"})
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["text"] == "hello" and edited["id"] == first["id"] and edited["n"] == 1
    assert edited["edited_ts"] >= first["ts"] and edited["user"] == "ada"
    page = history(client)
    assert [m["text"] for m in page["messages"]] == ["hello", "two"]
    assert page["messages"][0] == edited
    assert page["messages"][1] == second
    # The edit is an entry of the stream of its own, with no message number.
    kinds = [fields.get("k", "message") for _, fields in entries(redis_sync, keys.stream("general"))]
    assert kinds == ["message", "message", "edit"]
    assert "n" not in entries(redis_sync, keys.stream("general"))[-1][1]


def test_a_deleted_message_is_only_its_id_number_and_room_from_then_on(client: TestClient) -> None:
    kept = send(client, "kept")
    gone = send(client, "secret text")
    client.patch(f"{URL}/{gone['id']}", json={"text": "edited secret"})
    r = client.delete(f"{URL}/{gone['id']}")
    assert r.status_code == 204, r.text
    page = history(client)
    assert page["messages"] == [kept, {"id": gone["id"], "n": 2, "room": "general", "deleted": True}]
    after = history(client, after=kept["id"])
    assert "secret" not in str(after), after
    assert [c["type"] for c in after["changes"]] == ["delete"]
    assert after["last_id"] != kept["id"]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_someone_elses_message_is_refused(client: TestClient, method: str) -> None:
    theirs = send(client, "bob's", Authorization=sign_in(client, "bob")["Authorization"])
    r = client.request(method.upper(), f"{URL}/{theirs['id']}", json={"text": "mine now"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_allowed"
    assert history(client)["messages"] == [theirs]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_unknown_and_deleted_messages_are_404(client: TestClient, method: str) -> None:
    r = client.request(method.upper(), f"{URL}/1700000000000-0", json={"text": "x"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_such_message"
    mine = send(client, "soon gone")
    assert client.delete(f"{URL}/{mine['id']}").status_code == 204
    r = client.request(method.upper(), f"{URL}/{mine['id']}", json={"text": "back?"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "message_deleted"


def test_a_change_is_not_a_message(client: TestClient) -> None:
    mine = send(client, "x")
    edit_id = client.patch(f"{URL}/{mine['id']}", json={"text": "y"})
    changes = history(client, after=mine["id"])["changes"]
    assert edit_id.status_code == 200
    change_id = changes[0]["id"]
    r = client.patch(f"{URL}/{change_id}", json={"text": "z"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_such_message"


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_a_private_room_you_cannot_read_is_refused_as_reading_is(client: TestClient, method: str) -> None:
    bob = sign_in(client, "bob")
    assert client.post("/api/rooms", json={"name": "hideout", "private": True}, headers=bob).status_code == 201
    theirs = send(client, "psst", room="hideout", Authorization=bob["Authorization"])
    path = f"/api/rooms/hideout/messages/{theirs['id']}"
    r = client.request(method.upper(), path, json={"text": "x"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_a_member"
    assert client.get("/api/rooms/hideout/messages").json()["error"]["code"] == "not_a_member"


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_anonymous_and_ended_sessions_are_refused(client: TestClient, method: str) -> None:
    mine = send(client, "x")
    r = client.request(method.upper(), f"{URL}/{mine['id']}", json={"text": "y"}, headers={"Authorization": ""})
    assert r.status_code == 401 and r.json()["error"]["code"] == "sign_in_required"
    token = sign_in(client, "carol")
    theirs = send(client, "carol's", Authorization=token["Authorization"])
    assert client.delete("/api/session", headers=token).status_code in (200, 204)
    r = client.request(method.upper(), f"{URL}/{theirs['id']}", json={"text": "y"}, headers=token)
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_ended"


@pytest.mark.parametrize(
    ("body", "status", "code"), [({"text": ""}, 422, "empty_message"), ({}, 422, "invalid_request")]
)
def test_a_bad_edit_is_refused(client: TestClient, body: dict[str, object], status: int, code: str) -> None:
    mine = send(client, "x")
    r = client.patch(f"{URL}/{mine['id']}", json=body)
    assert r.status_code == status and r.json()["error"]["code"] == code
    assert client.patch(f"{URL}/not-an-id", json={"text": "y"}).status_code == 422


def test_the_rooms_creator_and_an_admin_delete_others_messages(admin_client: TestClient) -> None:
    c = admin_client
    creator = sign_in(c, "carol")
    assert c.post("/api/rooms", json={"name": "carols"}, headers=creator).status_code == 201
    first, second = send(c, "ada one", room="carols"), send(c, "ada two", room="carols")
    assert c.delete(f"/api/rooms/carols/messages/{first['id']}", headers=creator).status_code == 204
    stranger = sign_in(c, "dave")
    assert c.delete(f"/api/rooms/carols/messages/{second['id']}", headers=stranger).status_code == 403
    boss = sign_in(c, "boss", "a-long-password")
    assert c.delete(f"/api/rooms/carols/messages/{second['id']}", headers=boss).status_code == 204
    assert all(m.get("deleted") for m in history(c, room="carols")["messages"])
    # Nobody but the author edits, not even an admin.
    third = send(c, "ada three", room="carols")
    r = c.patch(f"/api/rooms/carols/messages/{third['id']}", json={"text": "boss was here"}, headers=boss)
    assert r.status_code == 403


def moderates(client: TestClient, headers: dict[str, str]) -> dict[str, object]:
    """Room name -> its `moderator` flag (absent: None) in the room list as `headers` sees it."""
    r = client.get("/api/rooms", headers=headers)
    assert r.status_code == 200, r.text
    return {room["name"]: room.get("moderator") for room in r.json()["rooms"]}


def test_the_room_list_tells_who_may_delete_others_messages(admin_client: TestClient) -> None:
    c = admin_client
    send(c, "hello everyone")  # general: made by a message, nobody created it
    carol = sign_in(c, "carol")
    assert c.post("/api/rooms", json={"name": "carols"}, headers=carol).status_code == 201
    assert c.post("/api/rooms", json={"name": "hideout", "private": True}, headers=carol).status_code == 201
    assert moderates(c, carol) == {"general": False, "carols": True, "hideout": True}
    dave = sign_in(c, "dave")
    assert moderates(c, dave) == {"general": False, "carols": False}
    boss = sign_in(c, "boss", "a-long-password")
    assert moderates(c, boss) == {"general": True, "carols": True}
    c.cookies.clear()  # boss's sign-in left its cookie
    assert moderates(c, {"Authorization": ""}) == {"general": None, "carols": None}
    # What the list says is what a delete then allows.
    mine = send(c, "ada in carols", room="carols")
    assert c.delete(f"/api/rooms/carols/messages/{mine['id']}", headers=dave).status_code == 403
    assert c.delete(f"/api/rooms/carols/messages/{mine['id']}", headers=carol).status_code == 204


def test_a_guest_holding_an_admins_name_moderates_nothing(admin_client: TestClient) -> None:
    c = admin_client
    send(c, "hello")
    assert moderates(c, sign_in(c, "boss")) == {"general": False}


def test_changes_take_no_message_number_and_leave_unread_counts_alone(client: TestClient) -> None:
    bob = sign_in(client, "bob")
    first = send(client, "one")
    second = send(client, "two")
    client.patch(f"{URL}/{first['id']}", json={"text": "one!"})
    client.delete(f"{URL}/{second['id']}")
    third = send(client, "three")
    assert third["n"] == 3

    def general(headers: dict[str, str]) -> dict[str, object]:
        rooms = client.get("/api/rooms", headers=headers).json()["rooms"]
        room: dict[str, object] = next(r for r in rooms if r["name"] == "general")
        return room

    assert general(bob)["unread"] == 3 and general(bob)["message_count"] == 3
    assert general({})["unread"] == 0  # ada wrote them all
    # A read position given the id of a change reads up to the newest message before it.
    change_id = history(client, after=second["id"])["changes"][0]["id"]
    r = client.post("/api/rooms/general/read", json={"id": change_id}, headers=bob)
    assert r.status_code == 200 and r.json()["n"] == 2 and r.json()["id"] == second["id"]
    assert general(bob)["unread"] == 1


def test_history_pages_skip_changes_and_keep_their_size(client: TestClient) -> None:
    ids = [str(send(client, f"m{i}")["id"]) for i in range(4)]
    for _ in range(5):
        client.patch(f"{URL}/{ids[3]}", json={"text": "m3 again"})
    page = history(client, limit=3)
    assert [m["id"] for m in page["messages"]] == ids[1:]
    assert page["has_more"] is True and page["next_before"] == ids[1]
    rest = history(client, limit=3, before=ids[1])
    assert [m["id"] for m in rest["messages"]] == ids[:1] and rest["has_more"] is False


def test_a_long_poll_returns_changes_in_order_with_where_it_ends(client: TestClient) -> None:
    first = send(client, "one")
    client.patch(f"{URL}/{first['id']}", json={"text": "uno"})
    second = send(client, "two")
    page = history(client, after=first["id"], limit=1)
    assert page["messages"] == [] and [c["type"] for c in page["changes"]] == ["edit"]
    assert page["changes"][0]["text"] == "uno" and page["changes"][0]["message"] == first["id"]
    assert page["has_more"] is True
    rest = history(client, after=page["last_id"], limit=5)
    assert [m["id"] for m in rest["messages"]] == [second["id"]] and rest["changes"] == []
    assert rest["last_id"] == second["id"] and rest["has_more"] is False


def test_nothing_lies_after_the_last_possible_id(client: TestClient) -> None:
    send(client, "x")
    page = history(client, after="18446744073709551615-18446744073709551615")
    assert (page["messages"], page["changes"], page["has_more"]) == ([], [], False)
