"""Reactions over HTTP: one emoji each, one of each per person, at most 20 distinct per message."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.domain.conversation import MAX_REACTIONS
from tests.conftest import make_settings, sign_in
from tests.transport.test_conversation import URL, history, send

EMOJI = [
    "👍",
    "🎉",
    "❤️",
    "😂",
    "👍🏽",
    "🇫🇷",
    "👨‍👩‍👧",
    "1️⃣",
    "🔥",
    "👀",
    "🙏",
    "😀",
    "🚀",
    "✅",
    "💯",
    "🤔",
    "😢",
    "😮",
    "👏",
    "🙌",
]


def path(id: object, emoji: str) -> str:
    return f"{URL}/{id}/reactions/{quote(emoji)}"


def test_reactions_are_keyed_by_person_once_each_and_shown_in_order(client: TestClient) -> None:
    mine = send(client, "react to me")
    bob = sign_in(client, "bob")
    first = client.put(path(mine["id"], "🎉"))
    assert first.status_code == 200 and first.json()["reactions"] == {"🎉": [mine["user_id"]]}
    again = client.put(path(mine["id"], "🎉"))
    assert again.status_code == 200 and again.json() == first.json()
    r = client.put(path(mine["id"], "👍"), headers=bob)
    r = client.put(path(mine["id"], "🎉"), headers=bob)
    bob_id = client.get("/api/session", headers=bob).json()["user_id"]
    assert r.json()["reactions"] == {"🎉": [mine["user_id"], bob_id], "👍": [bob_id]}
    assert history(client)["messages"][0]["reactions"] == r.json()["reactions"]
    r = client.delete(path(mine["id"], "🎉"))
    assert r.status_code == 200 and r.json()["reactions"] == {"🎉": [bob_id], "👍": [bob_id]}
    # Taking back what is not there changes nothing.
    assert client.delete(path(mine["id"], "🎉")).json() == r.json()
    client.delete(path(mine["id"], "🎉"), headers=bob)
    client.delete(path(mine["id"], "👍"), headers=bob)
    assert "reactions" not in history(client)["messages"][0]
    changes = history(client, after=mine["id"])["changes"]
    assert [(c["emoji"], c["on"]) for c in changes] == [
        ("🎉", True),
        ("👍", True),
        ("🎉", True),
        ("🎉", False),
        ("🎉", False),
        ("👍", False),
    ]


def test_at_most_twenty_distinct_emoji_per_message(client: TestClient) -> None:
    mine = send(client, "popular")
    assert len(EMOJI) == MAX_REACTIONS
    for emoji in EMOJI:
        assert client.put(path(mine["id"], emoji)).status_code == 200, emoji
    r = client.put(path(mine["id"], "🍕"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "too_many_reactions"
    # Someone else may still join one of the twenty.
    assert client.put(path(mine["id"], "🎉"), headers=sign_in(client, "bob")).status_code == 200
    assert list(history(client)["messages"][0]["reactions"]) == EMOJI


@pytest.mark.parametrize("text", ["a", "ab", "👍👍", "👍 ", ":+1:", "1", "x" * 40])
def test_a_reaction_is_one_emoji(client: TestClient, text: str) -> None:
    mine = send(client, "x")
    r = client.put(path(mine["id"], text))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_emoji", text


def test_reactions_refused_like_other_changes(client: TestClient) -> None:
    r = client.put(path("1700000000000-0", "👍"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_such_message"
    mine = send(client, "x")
    r = client.put(path(mine["id"], "👍"), headers={"Authorization": ""})
    assert r.status_code == 401
    client.delete(f"{URL}/{mine['id']}")
    r = client.put(path(mine["id"], "👍"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "message_deleted"
    bob = sign_in(client, "bob")
    assert client.post("/api/rooms", json={"name": "hideout", "private": True}, headers=bob).status_code == 201
    theirs = send(client, "psst", room="hideout", Authorization=bob["Authorization"])
    r = client.put(f"/api/rooms/hideout/messages/{theirs['id']}/reactions/{quote('👍')}")
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_a_member"


def test_an_emoji_with_or_without_its_variation_selector_is_one_reaction(client: TestClient) -> None:
    mine = send(client, "love")
    client.put(path(mine["id"], "❤"))
    assert client.put(path(mine["id"], "❤️")).json()["reactions"] == {"❤️": [mine["user_id"]]}
    assert "reactions" not in client.delete(path(mine["id"], "❤")).json()


def test_changes_count_against_the_send_rate(redis_url: str) -> None:
    with TestClient(create_app(make_settings(redis_url, send_rate_count=3))) as c:
        auth = sign_in(c, "speedy")
        mine = c.post(URL, json={"text": "x"}, headers=auth).json()
        statuses = [c.put(path(mine["id"], emoji), headers=auth).status_code for emoji in EMOJI[:3]]
        assert statuses == [200, 200, 429]
        r = c.patch(f"{URL}/{mine['id']}", json={"text": "y"}, headers=auth)
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited" and r.headers["retry-after"]
