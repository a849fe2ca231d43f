"""Every request body is capped (MAX_BODY_BYTES) before any route parses it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import make_settings, sign_in

LIMIT = 65536  # the default
ROUTES = ["/api/session", "/api/rooms", "/api/rooms/team/members", "/api/rooms/general/read"]


def padded(size: int) -> bytes:
    """A JSON object of exactly `size` bytes that every route above would otherwise parse."""
    head = b'{"name": "pad", "id": "1-0", "padding": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


def chunks(body: bytes, size: int = 4096) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize("route", ROUTES)
def test_a_body_over_the_limit_is_refused_by_its_declared_length(client: TestClient, route: str) -> None:
    r = client.post(route, content=padded(LIMIT + 1), headers={"content-type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "body_too_large" and str(LIMIT) in r.json()["error"]["message"]


@pytest.mark.parametrize("route", ROUTES)
def test_a_streamed_body_over_the_limit_is_refused_by_what_was_read(client: TestClient, route: str) -> None:
    # No Content-Length (chunked): the bytes actually read count.
    r = client.post(route, content=chunks(padded(LIMIT * 4)), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"


def test_a_body_within_the_limit_is_parsed_as_before(client: TestClient) -> None:
    body = padded(LIMIT)
    assert len(body) == LIMIT and json.loads(body)
    client.cookies.clear()
    r = client.post(
        "/api/session", content=chunks(body), headers={"content-type": "application/json", "Authorization": ""}
    )
    assert r.status_code == 201 and r.json()["name"] == "pad"


def test_the_limit_is_a_setting(redis_url: str) -> None:
    with TestClient(create_app(make_settings(redis_url, max_body_bytes=100))) as c:
        auth = sign_in(c, "ada")
        r = c.post("/api/rooms", json={"name": "ok", "topic": "t" * 100}, headers=auth)
        assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
        assert c.post("/api/rooms", json={"name": "ok"}, headers=auth).status_code == 201
