"""Names and tokens: unique guest names, registered names with passwords, signed tokens."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import jwt
import pytest
import redis
from fastapi.testclient import TestClient

from api.app import MissingSecret, create_app
from api.broker import keys
from api.config import Settings
from tests.conftest import ROOT, LiveServer, bearer, make_settings, sign_in
from tests.helpers import wait_until

ANON = {"Authorization": ""}
PLATFORM_VARIABLES = {"VERCEL", "AWS_LAMBDA_FUNCTION_NAME", "CHAT_SECRET", "CHAT_ENV", "REDIS_URL"}
URL = "/api/rooms/general/messages"


def claim(client: TestClient, name: str, password: str | None = None, headers: dict[str, str] = ANON) -> httpx.Response:
    body = {"name": name} if password is None else {"name": name, "password": password}
    client.cookies.clear()
    response: httpx.Response = client.post("/api/session", json=body, headers=headers)
    return response


def test_guest_names_are_unique_without_case(client: TestClient) -> None:
    first = claim(client, "Grace")
    assert first.status_code == 201 and first.json()["name"] == "Grace" and first.json()["kind"] == "guest"
    for name in ("Grace", "grace", "GRACE"):
        r = claim(client, name)
        assert r.status_code == 409 and r.json()["error"]["code"] == "name_taken"
    # Its holder may claim it again (a reload, a second tab): same name, fresh token.
    again = claim(client, "Grace", headers=bearer(first.json()["token"]))
    assert again.status_code == 200 and again.json()["name"] == "Grace"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "invalid_name"),
        ("a b", "invalid_name"),
        ("x" * 33, "invalid_name"),
        ("é", "invalid_name"),
        ("Admin", "reserved_name"),
        ("system", "reserved_name"),
        ("admin\n", "invalid_name"),
        ("ada\n", "invalid_name"),
    ],
)
def test_bad_names(client: TestClient, name: str, code: str) -> None:
    r = claim(client, name)
    assert r.status_code == 422 and r.json()["error"]["code"] == code


async def test_twenty_concurrent_claims_one_winner(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        replies = await asyncio.gather(*(client.post("/api/session", json={"name": "popular"}) for _ in range(20)))
    assert sorted(r.status_code for r in replies) == [201] + [409] * 19


async def test_twenty_concurrent_registrations_one_account(live_server: LiveServer) -> None:
    passwords = [f"secret-{i % 2}!" for i in range(20)]
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        replies = await asyncio.gather(
            *(client.post("/api/session", json={"name": "keeper", "password": p}) for p in passwords)
        )
        statuses = [r.status_code for r in replies]
        assert statuses.count(201) == 1, statuses
        # The one who registered set the password: the same password signs in, the other never
        # does; past the per-name limit of checked passwords (all counted before any is checked)
        # the rest are told to wait.
        winner = passwords[statuses.index(201)]
        for password, r in zip(passwords, replies, strict=True):
            if r.status_code == 429:
                assert r.json()["error"]["code"] == "too_many_attempts", r.text
            elif password == winner:
                assert r.status_code in (200, 201) and r.json()["kind"] == "user", r.text
            else:
                assert r.status_code == 401 and r.json()["error"]["code"] == "wrong_password", r.text


def test_register_then_log_in(client: TestClient, redis_sync: redis.Redis) -> None:
    made = claim(client, "Linus", "correct horse")
    assert made.status_code == 201 and made.json()["kind"] == "user"
    holder = str(redis_sync.get(keys.name("linus")))
    assert holder.startswith("user:")
    stored = str(redis_sync.hget(keys.account(holder.removeprefix("user:")), "password"))
    assert stored.startswith("$argon2") and "correct horse" not in stored
    back = claim(client, "linus", "correct horse")
    assert back.status_code == 200 and back.json()["name"] == "Linus"
    wrong = claim(client, "Linus", "wrong horse")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "wrong_password"
    as_guest = claim(client, "LINUS")
    assert as_guest.status_code == 409 and as_guest.json()["error"]["code"] == "name_registered"


def test_a_guest_held_name_can_be_registered_only_by_its_holder(client: TestClient) -> None:
    held = claim(client, "held")
    assert held.status_code == 201
    r = claim(client, "held", "long enough")
    assert r.status_code == 409 and r.json()["error"]["code"] == "name_taken"
    mine = claim(client, "held", "long enough", headers=bearer(held.json()["token"]))
    assert mine.status_code == 201 and mine.json()["kind"] == "user"


def test_a_password_that_is_not_unicode_text(client: TestClient) -> None:
    # A lone surrogate cannot be encoded, so it cannot be hashed: a 400, never a server error.
    body = b'{"name": "someone", "password": "long enough \\ud800"}'
    r = client.post("/api/session", content=body, headers={**ANON, "content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_encoding"


def test_weak_password(client: TestClient) -> None:
    r = claim(client, "someone", "short")
    assert r.status_code == 422 and r.json()["error"]["code"] == "weak_password"


def test_wrong_passwords_are_rate_limited(client: TestClient) -> None:
    assert claim(client, "target", "the right one").status_code == 201
    replies = [claim(client, "target", f"guess {i}") for i in range(12)]
    assert [r.status_code for r in replies] == [401] * 10 + [429, 429]
    assert all(int(r.headers["retry-after"]) >= 1 for r in replies[10:])


def test_tampered_expired_and_foreign_tokens(client: TestClient, redis_sync: redis.Redis) -> None:
    token = claim(client, "mallory").json()["token"]
    header, _, signature = token.split(".")
    tampered_payload = jwt.encode({"sub": "ada", "kind": "guest", "iat": 1, "exp": 9999999999}, "x").split(".")[1]
    secret = redis_sync.get(keys.SECRET)
    assert secret
    now = int(time.time())
    cases = {
        "invalid_token": [
            f"{header}.{tampered_payload}.{signature}",
            token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
            jwt.encode({"sub": "ada", "kind": "guest", "typ": "access", "iat": now, "exp": now + 60}, "another secret"),
            jwt.encode({"sub": "ada", "kind": "admin", "typ": "access", "iat": now, "exp": now + 60}, secret),
        ],
        "token_expired": [
            jwt.encode(
                {
                    "sub": "a" * 16,
                    "name": "ada",
                    "sid": "s",
                    "kind": "guest",
                    "typ": "access",
                    "iat": now - 99,
                    "exp": now - 9,
                },
                secret,
            )
        ],
    }
    for code, tokens in cases.items():
        for bad in tokens:
            r = client.post(URL, json={"text": "spoof"}, headers=bearer(bad))
            assert r.status_code == 401 and r.json()["error"]["code"] == code, bad
    assert client.get(URL).json()["messages"] == []


def test_idle_guest_names_are_released(redis_url: str) -> None:
    with TestClient(create_app(make_settings(redis_url, guest_idle_seconds=1))) as c:
        old = sign_in(c, "sleepy")
        # Taken before the send: the idle time counts from the send's script, which runs before
        # its answer comes back (much before, on a busy machine).
        active = time.monotonic()
        assert c.post(URL, json={"text": "hi"}, headers=old).status_code == 201
        claims: list[httpx.Response] = []

        def claimed() -> bool:
            claims.append(claim(c, "sleepy"))
            return claims[-1].status_code == 201

        wait_until(claimed, timeout=10, what="the idle name to be released")
        assert time.monotonic() - active >= 0.9, "released before GUEST_IDLE_SECONDS"
        assert {r.status_code for r in claims[:-1]} <= {409}
        new = bearer(claims[-1].json()["token"])
        r = c.post(URL, json={"text": "me again"}, headers=old)
        assert r.status_code == 401 and r.json()["error"]["code"] == "session_ended"
        assert c.post(URL, json={"text": "the new sleepy"}, headers=new).status_code == 201


def test_sign_out_releases_a_guest_name(client: TestClient) -> None:
    token = claim(client, "leaving").json()["token"]
    assert client.delete("/api/session", headers=bearer(token)).status_code == 204
    assert claim(client, "leaving").status_code == 201


def test_session_cookie_is_httponly_and_strict(client: TestClient) -> None:
    r = claim(client, "cookie-monster")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/api" in cookie


def test_production_refuses_to_start_without_a_secret(redis_url: str) -> None:
    with pytest.raises(MissingSecret, match="CHAT_SECRET"):
        create_app(Settings(redis_url=redis_url, chat_env="production"))
    create_app(Settings(redis_url=redis_url, chat_env="production", chat_secret="s" * 32))


def test_vercel_and_lambda_are_production(redis_url: str) -> None:
    """The platform is detected from its own variables, read when the process starts: each case
    is a fresh interpreter building the app the way api/index.py does. (With CHAT_SECRET set the
    same app starts: the Lambda tests in tests/test_deploy.py run it so.)"""
    base = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    base.update(REDIS_URL=redis_url, CHAT_ENV="development", CHAT_SECRET="")
    platforms = [{"VERCEL": "1"}, {"AWS_LAMBDA_FUNCTION_NAME": "chat"}]
    code = "from api.app import create_app; create_app()"
    runs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, stderr=subprocess.PIPE)
        for env in platforms
    ]
    for env, run in zip(platforms, runs, strict=True):
        _, err = run.communicate(timeout=60)
        assert run.returncode != 0 and b"MissingSecret" in err and b"CHAT_SECRET" in err, (env, err.decode())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/session"),
        ("PATCH", "/api/session"),
        ("POST", "/api/rooms"),
        ("POST", "/api/rooms/general/members"),
        ("POST", "/api/rooms/general/read"),
    ],
)
def test_a_form_where_json_is_wanted_is_told_to_send_json(client: TestClient, method: str, path: str) -> None:
    auth = sign_in(client, "former")
    form = {"content-type": "application/x-www-form-urlencoded", **auth}
    r = client.request(method, path, content=b"name=x", headers=form)  # what `curl -d name=x` sends
    assert r.status_code == 415, r.text
    assert r.json()["error"] == {
        "code": "unsupported_media_type",
        "message": "send application/json, not application/x-www-form-urlencoded",
    }
    # JSON with a wrong field is still a field's error.
    wrong = client.request(method, path, json={"name": 5, "id": 5}, headers=auth)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_request", wrong.text
