"""The client's address and scheme: the socket's peer, or with TRUST_PROXY what the proxy says.

The app under test is the real one with one extra route (and WebSocket) that answers what
`client_address` and `client_is_https` make of the request; the session cookie's Secure flag is
checked on a real uvicorn process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, WebSocket
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from api.transport.client import client_address, client_is_https
from api.transport.deps import AddressDep
from tests.conftest import LiveServer, make_settings

PEER = ("203.0.113.9", 50123)
CLIENT = "198.51.100.7"


def _app(redis_url: str, trust_proxy: bool) -> FastAPI:
    app = create_app(make_settings(redis_url, trust_proxy=trust_proxy))

    @app.get("/test/client")
    async def who(request: Request, address: AddressDep) -> dict[str, Any]:
        assert address == client_address(request)
        return {"address": address, "https": client_is_https(request)}

    @app.websocket("/test/client")
    async def who_ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"address": client_address(websocket), "https": client_is_https(websocket)})
        await websocket.close()

    return app


@pytest.fixture
def app_client(redis_url: str) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(trust_proxy: bool, base_url: str = "http://testserver") -> TestClient:
        client = TestClient(_app(redis_url, trust_proxy), base_url=base_url, client=PEER)
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _ask(client: TestClient, headers: list[tuple[str, str]]) -> dict[str, Any]:
    r = client.get("/test/client", headers=headers)
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


@pytest.mark.parametrize(
    ("headers", "address"),
    [
        ([("x-forwarded-for", CLIENT)], CLIENT),
        # Entries left of the proxy's own come from the client: a forged one changes nothing.
        ([("x-forwarded-for", f"10.0.0.1, 6.6.6.6, {CLIENT}")], CLIENT),
        ([("x-forwarded-for", "10.0.0.1"), ("x-forwarded-for", f"6.6.6.6,{CLIENT}")], CLIENT),
        ([("x-forwarded-for", f"{CLIENT}:4711")], CLIENT),
        ([("x-forwarded-for", f"::ffff:{CLIENT}")], CLIENT),
        ([("x-forwarded-for", "[2001:DB8::1]:443")], "2001:db8::1"),
        ([("x-forwarded-for", "2001:db8:0::7")], "2001:db8::7"),
        # Not an address, or no header: the socket's peer.
        ([("x-forwarded-for", f"{CLIENT}, unknown")], PEER[0]),
        ([("x-forwarded-for", f"{CLIENT},")], PEER[0]),
        ([], PEER[0]),
    ],
)
def test_trusting_the_proxy_the_address_is_the_entry_it_appended(
    app_client: Callable[..., TestClient], headers: list[tuple[str, str]], address: str
) -> None:
    assert _ask(app_client(trust_proxy=True), headers)["address"] == address


def test_not_trusting_a_proxy_its_headers_change_nothing(app_client: Callable[..., TestClient]) -> None:
    forged = [("x-forwarded-for", CLIENT), ("x-forwarded-proto", "https")]
    assert _ask(app_client(trust_proxy=False), forged) == {"address": PEER[0], "https": False}
    over_tls = app_client(trust_proxy=False, base_url="https://testserver")
    assert _ask(over_tls, [("x-forwarded-proto", "http")]) == {"address": PEER[0], "https": True}


@pytest.mark.parametrize(
    ("proto", "https"),
    [("https", True), ("HTTPS", True), ("http", False), ("https, http", False), ("http,https", True)],
)
def test_trusting_the_proxy_the_scheme_is_the_one_it_forwarded(
    app_client: Callable[..., TestClient], proto: str, https: bool
) -> None:
    assert _ask(app_client(trust_proxy=True), [("x-forwarded-proto", proto)])["https"] is https


def test_trusting_the_proxy_without_its_header_the_scheme_is_the_connections(
    app_client: Callable[..., TestClient],
) -> None:
    assert _ask(app_client(trust_proxy=True), [("x-forwarded-proto", "gopher")])["https"] is False
    assert _ask(app_client(trust_proxy=True, base_url="https://testserver"), [])["https"] is True


@pytest.mark.parametrize("trust_proxy", [True, False])
def test_a_websocket_has_the_same_client(app_client: Callable[..., TestClient], trust_proxy: bool) -> None:
    headers = {"x-forwarded-for": f"6.6.6.6, {CLIENT}", "x-forwarded-proto": "https"}
    with app_client(trust_proxy=trust_proxy).websocket_connect("/test/client", headers=headers) as ws:
        answer = ws.receive_json()
    assert answer == ({"address": CLIENT, "https": True} if trust_proxy else {"address": PEER[0], "https": False})


def test_trust_proxy_is_off_unless_set_or_on_vercel() -> None:
    # On Vercel it defaults to on: tests/test_deploy.py checks that in a process with VERCEL set.
    assert Settings().trust_proxy is False
    assert Settings(trust_proxy="1").trust_proxy is True


def _cookie(server: LiveServer, method: str, headers: dict[str, str], name: str = "") -> tuple[set[str], str]:
    """The attributes of the session cookie the answer sets, and the session's token if any."""
    body = {"name": name} if name else None
    r = httpx.request(method, server.url + "/api/session", json=body, headers=headers, timeout=5)
    assert r.status_code in (201, 204), r.text
    attributes = r.headers["set-cookie"].lower().split(";")
    return {a.strip() for a in attributes[1:]}, r.json()["token"] if r.content else ""


def test_the_session_cookie_is_secure_when_the_trusted_proxy_got_https(
    server_factory: Callable[..., LiveServer],
) -> None:
    behind_tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": CLIENT}
    trusting = server_factory(trust_proxy="true")
    signed_in, token = _cookie(trusting, "POST", behind_tls, "ada")
    assert "secure" in signed_in and "httponly" in signed_in and "samesite=strict" in signed_in
    signed_out, _ = _cookie(trusting, "DELETE", {**behind_tls, "Authorization": f"Bearer {token}"})
    assert "secure" in signed_out and "max-age=0" in signed_out
    assert "secure" not in _cookie(trusting, "POST", {"X-Forwarded-Proto": "http"}, "bob")[0]

    # A server that trusts no proxy ignores the header: the request itself was plain http.
    direct = server_factory(trust_proxy="false")
    assert "secure" not in _cookie(direct, "POST", behind_tls, "cyd")[0]
