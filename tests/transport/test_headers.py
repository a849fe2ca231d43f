"""Security headers on every answer: the page's policy on the browser app, a policy that allows
nothing on the API, nosniff and no referrer everywhere; a route's own policy wins."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from api.app import create_app
from api.transport.headers import API_POLICY, COMMON, DOCS_POLICY, page_policy
from tests.conftest import LiveServer, make_settings

OWN_POLICY = "default-src 'none'; sandbox"


def _app(redis_url: str, trust_proxy: bool = False) -> FastAPI:
    app = create_app(make_settings(redis_url, trust_proxy=trust_proxy))

    @app.get("/api/test/own-policy")
    async def own() -> PlainTextResponse:
        return PlainTextResponse("x", headers={"Content-Security-Policy": OWN_POLICY})

    return app


@pytest.fixture
def web(redis_url: str) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(trust_proxy: bool = False, base_url: str = "http://testserver") -> TestClient:
        client = TestClient(_app(redis_url, trust_proxy), base_url=base_url, follow_redirects=False)
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _assert_common(headers: httpx.Headers) -> None:
    for name, value in COMMON.items():
        assert headers.get_list(name) == [value], (name, headers)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/health", 200),
        ("GET", "/api/rooms/general/messages", 200),
        ("GET", "/api/nowhere", 404),
        ("POST", "/api/rooms/general/messages", 401),
        ("POST", "/api/session", 422),
        ("GET", "/api/openapi.json", 200),
    ],
)
def test_api_answers_allow_nothing_and_are_never_sniffed(
    web: Callable[..., TestClient], method: str, path: str, status: int
) -> None:
    r = web().request(method, path, json={})
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    _assert_common(r.headers)
    assert r.headers.get_list("content-security-policy") == [API_POLICY]


@pytest.mark.parametrize("path", ["/chat/", "/chat/index.html", "/chat/js/app.js", "/chat/style.css", "/chat/icon.svg"])
def test_the_browser_app_runs_under_the_page_policy(web: Callable[..., TestClient], path: str) -> None:
    r = web().get(path)
    assert r.status_code == 200
    _assert_common(r.headers)
    assert r.headers.get_list("content-security-policy") == [page_policy("ws://testserver")]


def test_redirects_to_the_app_carry_the_headers_too(web: Callable[..., TestClient]) -> None:
    for path in ("/", "/chat"):
        r = web().get(path)
        assert r.status_code in (301, 302, 307, 308) and r.headers["location"] == "/chat/"
        _assert_common(r.headers)
        assert r.headers["content-security-policy"] == page_policy("ws://testserver")


def test_the_page_may_open_a_websocket_to_its_own_host_over_tls_when_it_came_over_tls(
    web: Callable[..., TestClient],
) -> None:
    over_tls = web(base_url="https://chat.example:8443").get("/chat/")
    assert over_tls.headers["content-security-policy"] == page_policy("wss://chat.example:8443")
    behind_proxy = web(trust_proxy=True).get("/chat/", headers={"x-forwarded-proto": "https"})
    assert behind_proxy.headers["content-security-policy"] == page_policy("wss://testserver")
    ignored = web().get("/chat/", headers={"x-forwarded-proto": "https"})
    assert ignored.headers["content-security-policy"] == page_policy("ws://testserver")


@pytest.mark.parametrize("host", ["evil.example; script-src *", "a b", "x'", "", "[::1]:80:80"])
def test_a_host_that_is_not_a_plain_host_never_reaches_the_policy(web: Callable[..., TestClient], host: str) -> None:
    r = web().get("/chat/", headers={"host": host})
    assert r.headers["content-security-policy"] == page_policy(None)


def test_a_response_keeps_its_own_policy(web: Callable[..., TestClient]) -> None:
    r = web().get("/api/test/own-policy")
    assert r.headers.get_list("content-security-policy") == [OWN_POLICY]
    _assert_common(r.headers)


def test_the_api_docs_keep_their_inline_script_but_cannot_be_framed(web: Callable[..., TestClient]) -> None:
    r = web().get("/api/docs")
    assert r.status_code == 200 and "<script>" in r.text
    assert r.headers["content-security-policy"] == DOCS_POLICY
    _assert_common(r.headers)


def test_a_live_event_stream_carries_them(live_server: LiveServer) -> None:
    with httpx.stream("GET", live_server.url + "/api/rooms/general/events", timeout=5) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        first = next(r.iter_lines())
        assert first.startswith("retry:")
        _assert_common(r.headers)
        assert r.headers["content-security-policy"] == API_POLICY
