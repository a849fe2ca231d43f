"""Uploading and downloading files, on the folder store and on a real S3 server (SeaweedFS)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from PIL import Image

from api.broker import keys
from scripts.embedded_redis import free_port
from tests.conftest import sign_in
from tests.files.pictures import GPS_MARK, HTML, SVG_WITH_SCRIPT, bomb, photo, png
from tests.seaweed import SeaweedFS, fetch, s3_settings


def upload(client: TestClient, data: bytes, name: str = "x.bin", room: str = "general", **kw: Any) -> httpx.Response:
    r: httpx.Response = client.post(f"/api/rooms/{room}/files", files={"file": (name, data, "image/png")}, **kw)
    return r


def download(client: TestClient, url: str, **kw: Any) -> tuple[httpx.Response, bytes]:
    """The app's answer, and the bytes it leads to (through the signed URL on S3)."""
    r = client.get(url, follow_redirects=False, **kw)
    if r.status_code == 302:
        stored = fetch(r.headers["location"])
        assert stored.status_code == 200, stored.text
        return r, stored.content
    return r, r.content


def test_a_photo_is_turned_upright_stripped_of_metadata_and_thumbnailed(store_client: TestClient) -> None:
    r = upload(store_client, photo(640, 320), "holiday.jpg")
    assert r.status_code == 201, r.text
    shared = r.json()
    assert shared["type"] == "image/jpeg" and shared["name"] == "holiday.jpg"
    assert (shared["width"], shared["height"]) == (320, 640)  # EXIF orientation 6: upright
    assert shared["url"] == f"/api/files/{shared['id']}"
    answer, data = download(store_client, shared["url"])
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in answer.headers["content-security-policy"]
    assert GPS_MARK.encode() not in data and b"Exif" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (320, 640) and not image.getexif()
    if answer.status_code == 200:
        assert answer.headers["content-type"] == "image/jpeg"
        assert answer.headers["content-disposition"].startswith("inline;")
    _, thumb = download(store_client, shared["thumbnail_url"])
    with Image.open(io.BytesIO(thumb)) as image:
        assert image.format == "WEBP" and image.size == (240, 480)


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (SVG_WITH_SCRIPT, "logo.svg", "image/svg+xml"),
        (HTML, "cat.png", "text/html"),
        (b"%PDF-1.4\n...", "report.pdf", "application/pdf"),
        (b"just some notes\n", "notes.txt", "text/plain"),
    ],
)
def test_other_files_are_typed_by_their_bytes_and_only_ever_downloaded(
    store_client: TestClient, data: bytes, name: str, kind: str
) -> None:
    r = upload(store_client, data, name)
    assert r.status_code == 201, r.text
    shared = r.json()
    assert shared["type"] == kind and shared["size"] == len(data)
    assert "thumbnail_url" not in shared and "width" not in shared
    answer, stored = download(store_client, shared["url"])
    assert stored == data
    if answer.status_code == 302:
        answer = fetch(answer.headers["location"])  # what the browser gets from the store
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert name in answer.headers["content-disposition"]


def test_a_decompression_bomb_is_refused_without_decoding_it(store_client: TestClient) -> None:
    r = upload(store_client, bomb(), "small.png")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "image_too_large"


def test_a_broken_image_is_refused(store_client: TestClient) -> None:
    r = upload(store_client, png()[:40], "cut.png")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_image"


def test_a_file_over_the_cap_is_refused_before_it_is_read(files_app: Callable[..., TestClient]) -> None:
    with files_app(files_max_bytes=1000) as client:
        headers = sign_in(client, "ada")
        assert upload(client, b"x" * 1000, headers=headers).status_code == 201
        r = upload(client, b"x" * 1001, headers=headers)
        assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large"
        # Far over: refused on its Content-Length, before the body is read.
        r = upload(client, b"x" * 200_000, headers=headers)
        assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large"
        assert "1000 bytes" in r.json()["error"]["message"]

        def chunks() -> Iterator[bytes]:
            yield b"--b\r\nContent-Disposition: form-data; name=file; filename=a\r\n\r\n"
            for _ in range(100):
                yield b"y" * 1000

        chunked = {**headers, "Content-Type": "multipart/form-data; boundary=b"}
        r = client.post("/api/rooms/general/files", content=chunks(), headers=chunked)
        assert r.status_code == 413


def test_uploads_per_person_are_limited(files_app: Callable[..., TestClient]) -> None:
    with files_app(files_rate_per_hour=2) as client:
        ada, ben = sign_in(client, "ada"), sign_in(client, "ben")
        for _ in range(2):
            assert upload(client, b"hi", headers=ada).status_code == 201
        r = upload(client, b"hi", headers=ada)
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert upload(client, b"hi", headers=ben).status_code == 201


def test_uploads_need_a_session_and_a_file(store_client: TestClient) -> None:
    assert upload(store_client, b"x", headers={"Authorization": ""}).status_code == 401
    r = store_client.post("/api/rooms/general/files", data={"other": "x"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    r = store_client.post("/api/rooms/general/files", json={"file": "x"})
    assert r.status_code == 422
    r = upload(store_client, b"", "empty.txt")
    assert r.status_code == 422


def test_private_room_files_are_for_members_on_every_download(
    store_client: TestClient, redis_sync: redis.Redis
) -> None:
    ada = dict(store_client.headers)
    ben = sign_in(store_client, "ben")
    cy = sign_in(store_client, "cy")
    created = store_client.post("/api/rooms", json={"name": "den", "private": True, "members": ["ben"]}, headers=ada)
    assert created.status_code == 201, created.text
    shared = upload(store_client, photo(), "secret.jpg", room="den", headers=ada).json()
    assert upload(store_client, b"x", room="den", headers=cy).status_code == 403
    # Attached (as a send would), then read by member, outsider and anonymous.
    redis_sync.hset(keys.file("den", shared["id"]), "message", "1-1")
    for who, status in ((ben, {200, 302}), (cy, {403}), ({"Authorization": ""}, {401})):
        store_client.cookies.clear()
        r = store_client.get(shared["url"], headers=who, follow_redirects=False)
        assert r.status_code in status, (who, r.status_code, r.text)
        if r.status_code == 302:
            assert r.headers["cache-control"] == "private, no-cache"
            assert "sandbox" in r.headers["content-security-policy"]
    thumb = store_client.get(shared["thumbnail_url"], headers=cy)
    assert thumb.status_code == 403
    # Removed: the next download is refused.
    assert store_client.delete("/api/rooms/den/members/ben", headers=ada).status_code == 204
    assert store_client.get(shared["url"], headers=ben, follow_redirects=False).status_code == 403


def test_an_unattached_upload_is_its_uploaders_alone(store_client: TestClient) -> None:
    shared = upload(store_client, b"draft", "draft.txt").json()
    ben = sign_in(store_client, "ben")
    assert store_client.get(shared["url"], headers=ben).status_code == 404
    assert store_client.get(shared["url"], headers={"Authorization": ""}).status_code == 404
    assert store_client.get(shared["url"], follow_redirects=False).status_code in (200, 302)
    assert store_client.get("/api/files/general.nope").status_code == 404
    assert store_client.get("/api/files/../../etc/passwd").status_code == 404


@pytest.mark.parametrize("platform", [{"vercel": "1"}, {"aws_lambda_function_name": "chat"}])
def test_a_serverless_host_without_s3_says_what_to_set(
    server_factory: Callable[..., object], platform: dict[str, str]
) -> None:
    server = server_factory(chat_secret="s" * 40, **platform)
    base = server.url  # type: ignore[attr-defined]
    token = httpx.post(base + "/api/session", json={"name": "ada"}).json()["token"]
    r = httpx.post(
        base + "/api/rooms/general/files",
        files={"file": ("a.txt", b"hi")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "files_not_configured"
    assert "FILES_URL=s3://" in r.json()["error"]["message"]


def test_a_bucket_without_prefix_works(files_app: Callable[..., TestClient], seaweedfs: SeaweedFS) -> None:
    with files_app(**s3_settings(seaweedfs, prefix="")) as client:
        client.headers.update(sign_in(client, "ada"))
        shared = upload(client, b"at the root").json()
        answer, data = download(client, shared["url"])
        assert answer.status_code == 302 and data == b"at the root"
        assert f"/chat-files/{shared['id']}?" in answer.headers["location"]


def test_an_unreachable_store_is_a_503_to_retry(files_app: Callable[..., TestClient], seaweedfs: SeaweedFS) -> None:
    settings = {**s3_settings(seaweedfs), "aws_endpoint_url": f"http://127.0.0.1:{free_port()}"}
    with files_app(**settings) as client:
        client.headers.update(sign_in(client, "ada"))
        r = upload(client, b"hello")
        assert r.status_code == 503 and r.json()["error"]["code"] == "files_unavailable"
        assert int(r.headers["retry-after"]) > 0
