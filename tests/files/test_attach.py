"""Attaching uploads to messages: only one's own, only in their room, only once; unattached
uploads expire and their bytes go."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from fastapi.testclient import TestClient

from api.broker import keys
from tests.conftest import sign_in
from tests.files.pictures import photo
from tests.files.test_files import download, upload
from tests.helpers import wait_until
from tests.seaweed import fetch


def history(client: TestClient, room: str = "general") -> list[dict[str, object]]:
    messages: list[dict[str, object]] = client.get(f"/api/rooms/{room}/messages").json()["messages"]
    return messages


def test_a_message_carries_its_files_for_everyone(store_client: TestClient, redis_sync: redis.Redis) -> None:
    picture = upload(store_client, photo(), "cat.jpg").json()
    notes = upload(store_client, b"notes", "notes.txt").json()
    r = store_client.post("/api/rooms/general/messages", json={"text": "look", "files": [picture["id"], notes["id"]]})
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["files"] == [picture, notes]
    assert history(store_client)[-1]["files"] == [picture, notes]
    # Attached: kept for good, and anyone who may read the room may download it.
    assert redis_sync.ttl(keys.file("general", picture["id"])) == -1
    store_client.cookies.clear()
    answer, data = download(store_client, picture["url"], headers={"Authorization": ""})
    assert answer.status_code in (200, 302) and data[:3] == b"\xff\xd8\xff"
    # Files alone make a message.
    alone = upload(store_client, b"more", "more.txt").json()
    r = store_client.post("/api/rooms/general/messages", json={"files": [alone["id"]]})
    assert r.status_code == 201 and r.json()["text"] == "" and r.json()["files"] == [alone]


def test_only_ones_own_unattached_uploads_to_the_room_can_be_attached(store_client: TestClient) -> None:
    ada = dict(store_client.headers)
    ben = sign_in(store_client, "ben")
    bens = upload(store_client, b"ben's", headers=ben).json()
    elsewhere = upload(store_client, b"other room", room="random", headers=ada).json()
    mine = upload(store_client, b"mine", headers=ada).json()
    before = len(history(store_client))
    for files, code in (
        ([bens["id"]], "file_not_attachable"),  # someone else's
        ([elsewhere["id"]], "file_not_attachable"),  # another room's
        (["general.AAAAAAAAAAAAAAAAAAAAAA"], "file_not_attachable"),  # no such file
        ([mine["id"], bens["id"]], "file_not_attachable"),  # one bad one spoils the send
        ("nope", "invalid_request"),
        ([mine["id"]] * 1 + [f"general.{i:022d}" for i in range(10)], "too_many_files"),
    ):
        r = store_client.post("/api/rooms/general/messages", json={"text": "hi", "files": files}, headers=ada)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == code
    assert len(history(store_client)) == before
    # Attached once, never again.
    first = store_client.post("/api/rooms/general/messages", json={"text": "1", "files": [mine["id"]]})
    assert first.status_code == 201
    again = store_client.post("/api/rooms/general/messages", json={"text": "2", "files": [mine["id"]]})
    assert again.status_code == 422 and again.json()["error"]["code"] == "file_not_attachable"


def test_unattached_uploads_expire_and_their_bytes_are_deleted(
    files_app: Callable[..., TestClient], redis_sync: redis.Redis, tmp_path: Path
) -> None:
    with files_app(files_unattached_seconds=1) as client:
        client.headers.update(sign_in(client, "ada"))
        forgotten = upload(client, photo(), "forgotten.jpg").json()
        kept = upload(client, b"kept", "kept.txt").json()
        assert client.post("/api/rooms/general/messages", json={"text": "k", "files": [kept["id"]]}).status_code == 201
        folder = tmp_path / "files"
        assert (folder / forgotten["id"]).exists() and (folder / (forgotten["id"] + ".thumb")).exists()
        wait_until(lambda: not redis_sync.exists(keys.file("general", forgotten["id"])), what="the upload to expire")
        # Its time in the index (a minute's grace after expiry) has come: the next upload sweeps.
        for file_id in (forgotten["id"], kept["id"]):
            redis_sync.zadd(keys.FILES_PENDING, {file_id: 1})
        upload(client, b"next")
        assert not (folder / forgotten["id"]).exists() and not (folder / (forgotten["id"] + ".thumb")).exists()
        assert (folder / kept["id"]).exists()
        # The attached one is looked at again in a day (is its message still kept?), with the new upload.
        assert redis_sync.zcard(keys.FILES_PENDING) == 2
        assert (redis_sync.zscore(keys.FILES_PENDING, kept["id"]) or 0) > (time.time() + 23 * 3600) * 1000
        assert client.get(forgotten["url"]).status_code == 404


def test_each_process_sweeps_on_a_timer_too(
    files_app: Callable[..., TestClient], redis_sync: redis.Redis, tmp_path: Path
) -> None:
    with files_app(files_unattached_seconds=1, files_sweep_seconds=0.1) as client:
        client.headers.update(sign_in(client, "ada"))
        forgotten = upload(client, b"never sent", "forgotten.txt").json()
        wait_until(lambda: not redis_sync.exists(keys.file("general", forgotten["id"])), what="the upload to expire")
        redis_sync.zadd(keys.FILES_PENDING, {forgotten["id"]: 1})  # its minute's grace is over
        # No upload follows: the timer's sweep deletes its bytes.
        wait_until(lambda: not (tmp_path / "files" / forgotten["id"]).exists(), what="the timer's sweep")
        assert redis_sync.zcard(keys.FILES_PENDING) == 0


def test_the_files_of_messages_trimmed_from_the_stream_are_deleted(
    files_app: Callable[..., TestClient], redis_sync: redis.Redis, tmp_path: Path
) -> None:
    with files_app(stream_maxlen=10, send_rate_count=1000) as client:
        client.headers.update(sign_in(client, "ada"))
        old = upload(client, b"old notes", "old.txt").json()
        new = upload(client, b"new notes", "new.txt").json()
        first = client.post("/api/rooms/general/messages", json={"text": "old", "files": [old["id"]]})
        assert first.status_code == 201, first.text
        # Kept per room: about STREAM_MAXLEN, trimmed by whole blocks of 100 entries.
        for i in range(150):
            assert client.post("/api/rooms/general/messages", json={"text": f"m{i}"}).status_code == 201
        assert client.post("/api/rooms/general/messages", json={"text": "new", "files": [new["id"]]}).status_code == 201
        assert not redis_sync.xrange(keys.stream("general"), first.json()["id"], first.json()["id"])
        for file_id in (old["id"], new["id"]):
            redis_sync.zadd(keys.FILES_PENDING, {file_id: 1})  # their time to be looked at has come
        upload(client, b"next")  # sweeps
        folder = tmp_path / "files"
        assert not (folder / old["id"]).exists()
        assert not redis_sync.exists(keys.file("general", old["id"]))
        assert client.get(old["url"]).status_code == 404
        assert (folder / new["id"]).exists()
        assert download(client, new["url"])[1] == b"new notes"
        assert (redis_sync.zscore(keys.FILES_PENDING, new["id"]) or 0) > (time.time() + 23 * 3600) * 1000


def test_a_deleted_messages_files_are_deleted_from_the_store(store_client: TestClient, redis_sync: redis.Redis) -> None:
    picture = upload(store_client, photo(), "cat.jpg").json()
    other = upload(store_client, b"stays", "stays.txt").json()
    sent = store_client.post("/api/rooms/general/messages", json={"text": "see", "files": [picture["id"]]}).json()
    kept = store_client.post("/api/rooms/general/messages", json={"text": "and", "files": [other["id"]]}).json()
    answer, _ = download(store_client, picture["url"])
    stored_at = answer.headers.get("location")  # on S3: the signed URL of the bytes
    assert store_client.delete(f"/api/rooms/general/messages/{sent['id']}").status_code == 204
    assert not redis_sync.exists(keys.file("general", picture["id"]))
    for url in (picture["url"], picture["thumbnail_url"]):
        assert store_client.get(url).status_code == 404
    if stored_at is not None:
        assert fetch(stored_at).status_code == 404  # gone from the bucket, not only forgotten
    assert "files" not in history(store_client)[-2]
    assert history(store_client)[-1]["files"] == [other] and kept["files"] == [other]
    answer, data = download(store_client, other["url"])
    assert data == b"stays"


def test_files_over_a_websocket(store_client: TestClient, redis_sync: redis.Redis) -> None:
    shared = upload(store_client, b"by socket", "socket.txt").json()
    with store_client.websocket_connect("/api/rooms/general/ws", headers=dict(store_client.headers)) as socket:

        def ack() -> dict[str, Any]:
            while True:
                frame: dict[str, Any] = socket.receive_json()
                if frame["type"] in ("ack", "error"):
                    return frame

        socket.send_json({"type": "message", "text": "", "files": [shared["id"]], "client_id": "s1"})
        sent = ack()
        assert sent["type"] == "ack" and sent["message"]["files"] == [shared], sent
        socket.send_json({"type": "message", "text": "again", "files": [shared["id"]], "client_id": "s2"})
        assert ack()["code"] == "file_not_attachable"
        socket.send_json({"type": "delete", "id": sent["id"], "client_id": "s3"})
        assert ack()["type"] == "ack"
    assert not redis_sync.exists(keys.file("general", shared["id"]))
    assert store_client.get(shared["url"]).status_code == 404
