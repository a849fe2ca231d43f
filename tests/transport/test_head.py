"""HEAD gets what GET would, without the body (curl -I, uptime checks), on a real server; a
stream, which never ends, is not answered so."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer
from tests.helpers import session

VARYING = {"date", "x-request-id"}


def same_but_body(server: LiveServer, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    got = httpx.get(server.url + path, headers=headers)
    head = httpx.head(server.url + path, headers=headers)
    assert head.status_code == got.status_code, head.text
    assert head.content == b""
    assert [(k, v) for k, v in head.headers.multi_items() if k not in VARYING] == [
        (k, v) for k, v in got.headers.multi_items() if k not in VARYING
    ]
    return head


@pytest.mark.parametrize("path", ["/api/health", "/api/rooms", "/api/rooms/general/messages", "/chat/", "/nope"])
def test_head_is_get_without_the_body(live_server: LiveServer, path: str) -> None:
    head = same_but_body(live_server, path)
    if path != "/nope":
        assert head.status_code == 200 and int(head.headers["content-length"]) > 0


def test_head_of_a_file_checks_access_as_get_does(live_server: LiveServer) -> None:
    ada = session(live_server.url, "ada")
    up = httpx.post(
        f"{live_server.url}/api/rooms/general/files", files={"file": ("notes.txt", b"hello there")}, headers=ada
    )
    assert up.status_code == 201, up.text
    head = same_but_body(live_server, up.json()["url"], ada)
    assert head.status_code == 200 and head.headers["content-length"] == "11"
    assert head.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/api/rooms/general/events", "/api/events?rooms=general"])
def test_a_stream_is_not_answered_to_head(live_server: LiveServer, path: str) -> None:
    assert httpx.head(live_server.url + path, timeout=5).status_code == 405
