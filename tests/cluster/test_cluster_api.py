"""Every route that writes on a Redis Cluster, in-process: accounts, rooms, membership, signals,
and a send's cost there (two round trips: the sender's slot, then the room's with the index)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from scripts.redis_cluster import LocalCluster
from tests.conftest import bearer, make_settings


@pytest.fixture
def app(fresh_cluster: LocalCluster) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(fresh_cluster.url))) as c:
        yield c


def sign_in(app: TestClient, name: str, password: str | None = None) -> dict[str, str]:
    body = {"name": name} if password is None else {"name": name, "password": password}
    app.cookies.clear()
    r = app.post("/api/session", json=body)
    assert r.status_code in (200, 201), r.text
    return bearer(r.json()["token"])


def commands(cluster: LocalCluster) -> dict[str, int]:
    """Calls per command, summed over every node."""
    total: dict[str, int] = {}
    for i in range(len(cluster.servers)):
        with cluster.client(i) as r:
            for name, stats in r.info("commandstats").items():
                total[name] = total.get(name, 0) + int(stats["calls"])
    return total


def test_accounts_on_a_cluster(app: TestClient) -> None:
    ada = sign_in(app, "ada")
    app.cookies.clear()
    assert app.post("/api/session", json={"name": "ADA"}).json()["error"]["code"] == "name_taken"
    assert app.post("/api/session", json={"name": "ada"}, headers=ada).status_code in (200, 201)  # renewed
    bob = sign_in(app, "bob", "correct horse battery")
    assert app.post("/api/session", json={"name": "bob", "password": "wrong one here"}).status_code == 401
    again = sign_in(app, "bob", "correct horse battery")
    assert app.get("/api/session", headers=again).json()["name"] == "bob"
    renamed = app.patch("/api/session", json={"name": "robert"}, headers=bob)
    assert renamed.status_code == 200, renamed.text
    assert sign_in(app, "bob")  # the old name is free again
    assert app.delete("/api/session", headers=ada).status_code == 204
    r = app.post("/api/rooms/general/messages", json={"text": "after sign-out"}, headers=ada)
    assert r.status_code == 401
    assert sign_in(app, "ada")  # a guest's last session ended: the name is free


def test_conversation_on_a_cluster(app: TestClient) -> None:
    ada, bob = sign_in(app, "ada"), sign_in(app, "bob")
    first = app.post("/api/rooms/general/messages", json={"text": "hello @bob"}, headers=ada).json()
    reply = app.post("/api/rooms/general/messages", json={"text": "hi", "reply_to": first["id"]}, headers=bob)
    assert reply.status_code == 201 and reply.json()["reply_to"]["id"] == first["id"], reply.text
    assert (
        app.patch(f"/api/rooms/general/messages/{first['id']}", json={"text": "hello"}, headers=ada).status_code == 200
    )
    assert app.put(f"/api/rooms/general/messages/{first['id']}/reactions/👍", headers=bob).status_code in (200, 201)
    assert app.delete(f"/api/rooms/general/messages/{reply.json()['id']}", headers=bob).status_code in (200, 204)
    by_id = {m["id"]: m for m in app.get("/api/rooms/general/messages", headers=ada).json()["messages"]}
    assert by_id[first["id"]]["text"] == "hello"
    assert by_id[first["id"]]["reactions"] == {"👍": [reply.json()["user_id"]]}
    assert by_id[reply.json()["id"]].get("deleted") is True


def test_rooms_and_signals_on_a_cluster(app: TestClient, fresh_cluster: LocalCluster) -> None:
    ada, eve, bob = sign_in(app, "ada"), sign_in(app, "eve"), sign_in(app, "bob")
    r = app.post("/api/rooms", json={"name": "secret", "private": True, "members": ["bob"]}, headers=ada)
    assert r.status_code == 201, r.text
    assert app.post("/api/rooms", json={"name": "secret"}, headers=eve).status_code == 409
    assert app.post("/api/rooms/secret/messages", json={"text": "hi"}, headers=eve).status_code == 403
    sent = app.post("/api/rooms/secret/messages", json={"text": "for members"}, headers=bob)
    assert sent.status_code == 201, sent.text
    assert app.post("/api/rooms/secret/members", json={"name": "eve"}, headers=ada).status_code == 201
    assert app.post("/api/rooms/secret/messages", json={"text": "eve too"}, headers=eve).status_code == 201
    assert app.delete("/api/rooms/secret/members/eve", headers=ada).status_code == 204
    assert app.get("/api/rooms/secret/messages", headers=eve).status_code == 403
    assert app.post("/api/rooms/secret/typing", headers=ada).status_code == 202
    assert app.post("/api/rooms/secret/read", json={"id": sent.json()["id"]}, headers=ada).status_code == 200
    listing = {room["name"]: room for room in app.get("/api/rooms", headers=ada).json()["rooms"]}
    assert listing["secret"]["message_count"] == 2 and listing["secret"]["unread"] == 1

    # A room's first message also announces the room: count the sends after it.
    assert app.post("/api/rooms/general/messages", json={"text": "first"}, headers=ada).status_code == 201
    before = commands(fresh_cluster)
    for n in range(5):
        assert app.post("/api/rooms/general/messages", json={"text": f"m{n}"}, headers=ada).status_code == 201
    after = commands(fresh_cluster)
    spent = {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}
    # Per send: the sender's script, then the room's script (SPUBLISH inside it) with the room
    # index's ZADD at the same time. Commands run by scripts count too.
    assert spent["cmdstat_evalsha"] == 10
    assert spent["cmdstat_zadd"] == 5
    assert spent["cmdstat_spublish"] == 5
    assert "cmdstat_publish" not in spent


def test_the_room_list_tells_moderators_on_a_cluster(fresh_cluster: LocalCluster) -> None:
    with TestClient(create_app(make_settings(fresh_cluster.url, chat_admins="boss"))) as app:
        ada, bob = sign_in(app, "ada"), sign_in(app, "bob")
        boss = sign_in(app, "boss", "a-long-password")
        for name, private in (("adas", False), ("hideout", True)):
            assert app.post("/api/rooms", json={"name": name, "private": private}, headers=ada).status_code == 201
        assert app.post("/api/rooms/general/messages", json={"text": "hi"}, headers=bob).status_code == 201

        def moderates(headers: dict[str, str]) -> dict[str, object]:
            app.cookies.clear()
            return {r["name"]: r.get("moderator") for r in app.get("/api/rooms", headers=headers).json()["rooms"]}

        assert moderates(ada) == {"general": False, "adas": True, "hideout": True}
        assert moderates(bob) == {"general": False, "adas": False}
        assert moderates(boss) == {"general": True, "adas": True}
        assert moderates({}) == {"general": None, "adas": None}
