"""Files over FILES_MAX_BYTES on an S3 store: a presigned POST straight to the store (its policy
enforces the size), then the app checks what arrived."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from tests.conftest import sign_in
from tests.files.pictures import photo
from tests.files.test_files import download
from tests.seaweed import SeaweedFS, s3_settings


def start(client: TestClient, name: str, size: int) -> httpx.Response:
    r: httpx.Response = client.post("/api/rooms/general/uploads", json={"name": name, "size": size})
    return r


def post_to_store(form: dict[str, object], data: bytes, name: str) -> httpx.Response:
    fields = form["fields"]
    assert isinstance(fields, dict) and isinstance(form["url"], str)
    return httpx.post(form["url"], data=fields, files={"file": (name, data)}, timeout=30)


def test_a_large_file_goes_straight_to_the_store(files_app: Callable[..., TestClient], seaweedfs: SeaweedFS) -> None:
    with files_app(files_max_bytes=1000, files_direct_max_bytes=50_000, **s3_settings(seaweedfs)) as client:
        client.headers.update(sign_in(client, "ada"))
        assert client.get("/api/files").json() == {"max_bytes": 1000, "direct_max_bytes": 50_000, "max_files": 10}
        data = b"%PDF-1.7\n" + b"x" * 20_000
        form = start(client, "big.pdf", len(data)).json()
        complete = f"/api/rooms/general/uploads/{form['id']}/complete"
        # Nothing sent yet: nothing to complete.
        early = client.post(complete)
        assert early.status_code == 422 and early.json()["error"]["code"] == "upload_incomplete"
        assert post_to_store(form, data, "big.pdf").status_code in (200, 201, 204)
        done = client.post(complete)
        assert done.status_code == 200, done.text
        shared = done.json()
        assert (shared["name"], shared["type"], shared["size"]) == ("big.pdf", "application/pdf", len(data))
        sent = client.post("/api/rooms/general/messages", json={"text": "report", "files": [shared["id"]]})
        assert sent.status_code == 201 and sent.json()["files"] == [shared]
        answer, stored = download(client, shared["url"])
        assert answer.status_code == 302 and stored == data
        # Someone else cannot complete (or learn about) ada's upload.
        ben = sign_in(client, "ben")
        assert client.post(complete, headers=ben).status_code == 404


def test_the_store_refuses_more_than_the_policy_allows(
    files_app: Callable[..., TestClient], seaweedfs: SeaweedFS
) -> None:
    with files_app(files_max_bytes=1000, files_direct_max_bytes=5000, **s3_settings(seaweedfs)) as client:
        client.headers.update(sign_in(client, "ada"))
        assert start(client, "huge.bin", 5001).status_code == 413
        form = start(client, "liar.bin", 4000).json()  # says 4000, sends more
        assert post_to_store(form, b"x" * 6000, "liar.bin").status_code == 400
        # The form is for its own key only.
        other = dict(form, fields={**form["fields"], "key": "elsewhere"})
        assert post_to_store(other, b"x" * 10, "x").status_code == 403
        complete = client.post(f"/api/rooms/general/uploads/{form['id']}/complete")
        assert complete.status_code == 422


def test_a_large_picture_is_processed_like_any_other(
    files_app: Callable[..., TestClient], seaweedfs: SeaweedFS
) -> None:
    with files_app(files_max_bytes=2000, files_direct_max_bytes=100_000, **s3_settings(seaweedfs)) as client:
        client.headers.update(sign_in(client, "ada"))
        data = photo(400, 200)
        assert 2000 < len(data) <= 8000
        form = start(client, "wide.jpg", len(data)).json()
        assert post_to_store(form, data, "wide.jpg").status_code in (200, 201, 204)
        shared = client.post(f"/api/rooms/general/uploads/{form['id']}/complete").json()
        assert (shared["type"], shared["width"], shared["height"]) == ("image/jpeg", 200, 400)
        assert shared["thumbnail_url"]


def test_a_folder_store_offers_no_direct_upload(files_app: Callable[..., TestClient]) -> None:
    with files_app() as client:
        client.headers.update(sign_in(client, "ada"))
        assert client.get("/api/files").json()["direct_max_bytes"] is None
        r = start(client, "big.bin", 5 * 1024 * 1024)
        assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large"
