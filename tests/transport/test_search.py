"""Search: newest first, case-insensitive, messages as they now are, a bounded read per request."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.broker import store
from tests.transport.test_conversation import URL, history, send


def test_search_finds_messages_as_they_now_are_newest_first(client: TestClient) -> None:
    a = send(client, "Lunch at noon?")
    send(client, "no match")
    b = send(client, "LUNCH is late")
    c = send(client, "maybe lunch")
    client.patch(f"{URL}/{c['id']}", json={"text": "maybe dinner"})
    d = send(client, "secret lunch plans")
    client.delete(f"{URL}/{d['id']}")
    e = send(client, "brunch")
    client.patch(f"{URL}/{e['id']}", json={"text": "brunch, then lunch"})
    page = history(client, q="lUnCh")
    assert [m["id"] for m in page["messages"]] == [e["id"], b["id"], a["id"]]
    assert page["messages"][0]["text"] == "brunch, then lunch" and page["has_more"] is False
    first = history(client, q="lunch", limit=2)
    assert [m["id"] for m in first["messages"]] == [e["id"], b["id"]] and first["has_more"] is True
    rest = history(client, q="lunch", limit=2, before=first["next_before"])
    assert [m["id"] for m in rest["messages"]] == [a["id"]] and rest["has_more"] is False


def test_search_reads_a_bounded_run_and_says_where_to_go_on(client: TestClient, monkeypatch) -> None:
    monkeypatch.setattr(store, "SEARCH_SCAN", 5)
    monkeypatch.setattr(store, "SEARCH_RUN", 5)
    needle = send(client, "needle")
    for i in range(7):
        send(client, f"hay {i}")
    page = history(client, q="needle")
    assert page["messages"] == [] and page["has_more"] is True
    more = history(client, q="needle", before=page["next_before"])
    assert [m["id"] for m in more["messages"]] == [needle["id"]] and more["has_more"] is False


def test_search_input_is_checked(client: TestClient) -> None:
    for params, status in [({"q": "  "}, 422), ({"q": "x", "after": "1-0"}, 422), ({"q": "x" * 201}, 422)]:
        r = client.get(URL, params=params)
        assert r.status_code == status and "error" in r.json(), params
    bob_room = client.post("/api/rooms", json={"name": "hideout", "private": True})
    assert bob_room.status_code == 201
    r = client.get("/api/rooms/hideout/messages", params={"q": "x"}, headers={"Authorization": ""})
    assert r.status_code == 401
