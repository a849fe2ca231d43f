"""Replies quote the message they answer as it was then; @names become user ids, and each person
sees their unread mentions per room."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.wire.message import QUOTE_CHARS
from tests.conftest import sign_in
from tests.transport.test_conversation import URL, history, send


def reply(client: TestClient, text: str, to: object, **headers: str) -> Any:
    return client.post(URL, json={"text": text, "reply_to": to}, headers=headers or None)


def test_a_reply_quotes_the_answered_message_as_it_was_then(client: TestClient) -> None:
    long = "a/b " + "x" * 200
    bob = sign_in(client, "bob")
    asked = send(client, long, Authorization=bob["Authorization"])
    client.patch(f"{URL}/{asked['id']}", json={"text": "edited: " + long}, headers=bob)
    r = reply(client, "answer", asked["id"])
    assert r.status_code == 201, r.text
    quote = r.json()["reply_to"]
    assert quote == {
        "id": asked["id"],
        "user_id": asked["user_id"],
        "user": "bob",
        "text": ("edited: " + long)[:QUOTE_CHARS] + "…",
    }
    # History shows the same; an edit of the answered message after the reply changes no quote.
    client.patch(f"{URL}/{asked['id']}", json={"text": "changed again"}, headers=bob)
    assert history(client)["messages"][1]["reply_to"] == quote
    # Once the answered message is deleted, its quote is never sent again either.
    assert client.delete(f"{URL}/{asked['id']}", headers=bob).status_code == 204
    assert history(client)["messages"][1]["reply_to"] == {"id": asked["id"], "deleted": True}


def test_replying_to_what_is_not_there(client: TestClient) -> None:
    r = reply(client, "to nothing", "1700000000000-0")
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_such_message"
    assert reply(client, "bad id", "yesterday").status_code == 422
    assert reply(client, "bad id", 5).status_code == 422
    gone = send(client, "gone")
    client.delete(f"{URL}/{gone['id']}")
    r = reply(client, "to a deleted one", gone["id"])
    assert r.status_code == 404 and r.json()["error"]["code"] == "message_deleted"
    # A change is not a message to answer.
    client.patch(f"{URL}/{send(client, 'x')['id']}", json={"text": "y"})
    change = history(client, after=gone["id"])["changes"][-1]
    assert reply(client, "to an edit", change["id"]).status_code == 404
    assert [m.get("text") for m in history(client)["messages"]] == [None, "y"]


def test_mentions_are_user_ids_and_counted_until_read(client: TestClient) -> None:
    bob, carol = sign_in(client, "bob"), sign_in(client, "Carol.x")
    client.cookies.clear()  # signing in set carol's cookie: requests without a token are anonymous
    ids = {
        name: client.get("/api/session", headers=h).json()["user_id"] for name, h in (("bob", bob), ("carol", carol))
    }
    plain = send(client, "no one here, mail me at ada@bob.org")
    assert "mentions" not in plain
    first = send(client, "hi @bob and @carol.X.")
    assert first["mentions"] == [ids["bob"], ids["carol"]]
    send(client, "@bob again, and @nobody")
    assert history(client)["messages"][1]["mentions"] == [ids["bob"], ids["carol"]]

    def mentions(headers: dict[str, str]) -> Any:
        rooms = client.get("/api/rooms", headers=headers).json()["rooms"]
        return next(r for r in rooms if r["name"] == "general")["mentions"]

    assert (mentions(bob), mentions(carol), mentions({})) == (2, 1, 0)
    assert "mentions" not in client.get("/api/rooms", headers={"Authorization": ""}).json()["rooms"][0]
    client.post("/api/rooms/general/read", json={"id": first["id"]}, headers=bob)
    assert mentions(bob) == 1
    # An edit that drops a mention drops it from the count; a deleted message mentions no one.
    client.patch(f"{URL}/{first['id']}", json={"text": "hi all"})
    assert mentions(carol) == 0
    edited = client.patch(f"{URL}/{first['id']}", json={"text": "hi @carol.x"}).json()
    assert edited["mentions"] == [ids["carol"]] and mentions(carol) == 1
    client.delete(f"{URL}/{first['id']}")
    assert mentions(carol) == 0


def test_rooms_are_listed_by_last_message(client: TestClient) -> None:
    for room in ("old", "new"):
        send(client, "x", room=room)
    send(client, "y", room="old")
    names = [r["name"] for r in client.get("/api/rooms").json()["rooms"]]
    assert names.index("old") < names.index("new")
