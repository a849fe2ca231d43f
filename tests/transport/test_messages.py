"""The send and history routes: contract, bad input, idempotency."""

from __future__ import annotations

import time

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from api.broker import keys
from tests.conftest import make_settings, sign_in
from tests.helpers import wait_until

URL = "/api/rooms/general/messages"
JSON = {"content-type": "application/json"}


def test_send_json_returns_the_stored_message(client: TestClient) -> None:
    r = client.post(URL, json={"text": "hello"})
    assert r.status_code == 201
    body = r.json()
    assert body["text"] == "hello" and body["user"] == "ada" and body["room"] == "general"
    assert body["id"].split("-")[0] == str(body["ts"]) and body["n"] == 1
    assert client.get(URL).json()["messages"] == [body]


def test_newlines_and_tabs_are_kept(client: TestClient) -> None:
    r = client.post(URL, json={"text": "line one\n\tindented"})
    assert r.status_code == 201 and r.json()["text"] == "line one\n\tindented"


def test_the_author_is_the_token_never_the_body(client: TestClient) -> None:
    r = client.post(URL, json={"text": "hi", "user": "bob", "name": "bob"})
    assert r.status_code == 201 and r.json()["user"] == "ada"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Authorization": ""}, "sign_in_required"),
        ({"Authorization": "Bearer nonsense"}, "invalid_token"),
        ({"Authorization": "Basic YWRhOng="}, "invalid_token"),
    ],
)
def test_sending_needs_a_valid_token(client: TestClient, headers: dict[str, str], code: str) -> None:
    r = client.post(URL, json={"text": "x"}, headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == code
    assert client.get(URL).json()["messages"] == []


def test_rate_limit_says_when_to_retry(redis_url: str) -> None:
    with TestClient(create_app(make_settings(redis_url, send_rate_count=3))) as c:
        auth = sign_in(c, "speedy")
        statuses = [c.post(URL, json={"text": str(i)}, headers=auth).status_code for i in range(5)]
        r = c.post(URL, json={"text": "more"}, headers=auth)
        assert statuses == [201, 201, 201, 429, 429]
        assert r.json()["error"]["code"] == "rate_limited" and 1 <= int(r.headers["retry-after"]) <= 10
        assert c.post(URL, json={"text": "other person"}, headers=sign_in(c, "calm")).status_code == 201
        assert len(c.get(URL).json()["messages"]) == 4


def test_the_send_window_starts_again_after_retry_after(redis_url: str) -> None:
    with TestClient(create_app(make_settings(redis_url, send_rate_count=2, send_rate_window_seconds=1))) as c:
        auth = sign_in(c, "speedy")

        def burst(window: int) -> httpx.Response:
            replies: list[httpx.Response] = [
                c.post(URL, json={"text": f"{window}.{i}"}, headers=auth) for i in range(3)
            ]
            assert [r.status_code for r in replies] == [201, 201, 429], window
            return replies[-1]

        retry = int(burst(0).headers["retry-after"])
        assert retry == 1, "the window is one second"
        # Waiting as told is the client's part of the contract, and what is tested here.
        time.sleep(retry)
        burst(1)
        assert [m["text"] for m in c.get(URL).json()["messages"]] == ["0.0", "0.1", "1.0", "1.1"]


def test_send_plain_text_like_curl_d(client: TestClient) -> None:
    r = client.post(URL, content=b"hi there & more", headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 201 and r.json()["text"] == "hi there & more"
    r = client.post(URL, content="plain", headers={"content-type": "text/plain; charset=utf-8"})
    assert r.status_code == 201 and r.json()["text"] == "plain"


def test_html_form_field(client: TestClient) -> None:
    r = client.post(URL, data={"text": "a b&c"})
    assert r.status_code == 201 and r.json()["text"] == "a b&c"


@pytest.mark.parametrize("header", ["client_id", "Idempotency-Key"])
def test_same_client_id_returns_the_first_message(client: TestClient, header: str) -> None:
    def send(text: str) -> tuple[tuple[int, dict[str, object]], httpx.Headers]:
        if header == "client_id":
            r = client.post(URL, json={"text": text, "client_id": "c-1"})
        else:
            r = client.post(URL, json={"text": text}, headers={"Idempotency-Key": "c-1"})
        return (r.status_code, r.json()), r.headers

    (status1, first), headers1 = send("once")
    (status2, again), headers2 = send("twice?")
    assert (status1, status2) == (201, 200)
    assert again == first
    assert "idempotent-replayed" not in headers1 and headers2["idempotent-replayed"] == "true"
    assert [m["text"] for m in client.get(URL).json()["messages"]] == ["once"]


def test_a_client_id_is_forgotten_after_idempotency_seconds(redis_url: str) -> None:
    with TestClient(create_app(make_settings(redis_url, idempotency_seconds=1))) as c:
        auth = sign_in(c, "ada")
        first = c.post(URL, json={"text": "once", "client_id": "k"}, headers=auth)
        assert first.status_code == 201
        remembered_since = time.monotonic()
        replies: list[int] = []

        def sent_anew() -> bool:
            replies.append(c.post(URL, json={"text": "again", "client_id": "k"}, headers=auth).status_code)
            return replies[-1] == 201

        wait_until(sent_anew, timeout=5, what="the client_id to be forgotten")
        assert time.monotonic() - remembered_since >= 0.9, "forgotten before IDEMPOTENCY_SECONDS"
        assert set(replies[:-1]) == {200}, replies
        assert [m["text"] for m in c.get(URL).json()["messages"]] == ["once", "again"]


def test_client_ids_are_per_room(client: TestClient) -> None:
    a = client.post("/api/rooms/a/messages", json={"text": "x", "client_id": "same"})
    b = client.post("/api/rooms/b/messages", json={"text": "x", "client_id": "same"})
    assert a.status_code == b.status_code == 201
    assert (a.json()["room"], b.json()["room"]) == ("a", "b")


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {"text": ""}}, 422, "empty_message"),
        ({"json": {"text": "   \n"}}, 422, "empty_message"),
        ({"json": {}}, 422, "invalid_text"),
        ({"json": {"text": 5}}, 422, "invalid_text"),
        ({"content": b'{"text": "hi \\ud800"}', "headers": JSON}, 400, "invalid_encoding"),
        ({"json": {"text": "a\x00b"}}, 422, "control_character"),
        ({"json": {"text": "ring\x07"}}, 422, "control_character"),
        ({"json": {"text": "old\r\nline"}}, 422, "control_character"),
        ({"json": {"text": "c1 \x85"}}, 422, "control_character"),
        ({"content": b"esc \x1b[31m", "headers": {"content-type": "text/plain"}}, 422, "control_character"),
        ({"json": ["text"]}, 422, "invalid_request"),
        ({"json": {"text": "x" * 4001}}, 413, "message_too_long"),
        ({"json": {"text": "x", "client_id": "has space"}}, 422, "invalid_client_id"),
        ({"json": {"text": "x", "client_id": "c-1\n"}}, 422, "invalid_client_id"),
        ({"content": b'{"text": "x"', "headers": {"content-type": "application/json"}}, 400, "invalid_json"),
        ({"content": b"[" * 20000, "headers": {"content-type": "application/json"}}, 400, "invalid_json"),
        ({"content": b"\xff\xfe", "headers": {"content-type": "text/plain"}}, 400, "invalid_encoding"),
        ({"content": b"<x/>", "headers": {"content-type": "application/xml"}}, 415, "unsupported_media_type"),
        ({"content": b"x" * 30000, "headers": {"content-type": "text/plain"}}, 413, "body_too_large"),
    ],
)
def test_bad_input_is_a_clear_error_and_stores_nothing(
    client: TestClient, kwargs: dict[str, object], status: int, code: str
) -> None:
    r = client.post(URL, **kwargs)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["message"]
    assert client.get(URL).json()["messages"] == []


@pytest.mark.parametrize("room", ["General", "a b", "x" * 65, "é", "a.b", "general%0A"])
def test_bad_room_names(client: TestClient, room: str) -> None:
    r = client.post(f"/api/rooms/{room}/messages", json={"text": "x"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_room"
    assert client.get(f"/api/rooms/{room}/messages").status_code == 422


def test_unknown_path_and_method_are_json(client: TestClient) -> None:
    r = client.get("/api/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.delete(URL)
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_history_pages(client: TestClient) -> None:
    ids = [client.post(URL, json={"text": f"m{i}"}).json()["id"] for i in range(7)]
    latest = client.get(URL, params={"limit": 3}).json()
    assert [m["id"] for m in latest["messages"]] == ids[4:] and latest["has_more"] is True
    older = client.get(URL, params={"limit": 3, "before": ids[4]}).json()
    assert [m["id"] for m in older["messages"]] == ids[1:4] and older["has_more"] is True
    oldest = client.get(URL, params={"limit": 3, "before": ids[1]}).json()
    assert [m["id"] for m in oldest["messages"]] == ids[:1] and oldest["has_more"] is False
    after = client.get(URL, params={"limit": 4, "after": ids[1]}).json()
    assert [m["id"] for m in after["messages"]] == ids[2:6] and after["has_more"] is True
    assert client.get(URL, params={"after": ids[-1]}).json()["messages"] == []


@pytest.mark.parametrize("before", ["0", "0-0"])
def test_nothing_comes_before_the_first_possible_id(client: TestClient, before: str) -> None:
    client.post(URL, json={"text": "x"})
    r = client.get(URL, params={"before": before})
    assert r.status_code == 200 and r.json()["messages"] == [] and r.json()["has_more"] is False


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"before": "x"}, "invalid_cursor"),
        ({"after": "1-2-3"}, "invalid_cursor"),
        ({"before": "99999999999999999999"}, "invalid_cursor"),
        ({"after": "1-99999999999999999999", "wait": "1"}, "invalid_cursor"),
        ({"before": "1", "after": "1"}, "invalid_request"),
        ({"limit": "0"}, "invalid_request"),
        ({"limit": "many"}, "invalid_request"),
        ({"after": "1", "wait": "-1"}, "invalid_request"),
    ],
)
def test_bad_history_queries(client: TestClient, params: dict[str, str], code: str) -> None:
    r = client.get(URL, params=params)
    assert r.status_code == 422 and r.json()["error"]["code"] == code


def test_long_poll_without_news_returns_empty_after_the_wait(client: TestClient) -> None:
    last = client.post(URL, json={"text": "x"}).json()["id"]
    r = client.get(URL, params={"after": last, "wait": "0.3"})
    assert r.status_code == 200 and r.json()["messages"] == []


def test_long_poll_waits_at_most_longpoll_max_seconds(redis_url: str) -> None:
    with TestClient(create_app(make_settings(redis_url, longpoll_max_seconds=0.3))) as c:
        last = c.post(URL, json={"text": "x"}, headers=sign_in(c, "ada")).json()["id"]
        started = time.monotonic()
        r = c.get(URL, params={"after": last, "wait": "5"})
        waited = time.monotonic() - started
    assert r.status_code == 200 and r.json()["messages"] == []
    assert 0.25 <= waited < 2, f"a poll asking for 5 s with LONGPOLL_MAX_SECONDS=0.3 took {waited:.2f} s"


def test_long_poll_with_an_id_from_a_wiped_store_says_reset(client: TestClient) -> None:
    r = client.get(URL, params={"after": "99999999999999-0", "wait": "5"})
    assert r.json()["reset"] is True and r.json()["messages"] == []


def test_long_poll_after_a_trimmed_id_says_reset_at_once(client: TestClient, redis_sync: redis.Redis) -> None:
    ids = [client.post(URL, json={"text": f"m{i}"}).json()["id"] for i in range(4)]
    redis_sync.xtrim(keys.stream("general"), maxlen=2, approximate=False)
    started = time.monotonic()
    r = client.get(URL, params={"after": ids[0], "wait": "5"})
    assert r.status_code == 200 and r.json()["reset"] is True
    assert time.monotonic() - started < 2, "a poll that cannot resume must not wait"
    # Still kept, the messages after the id are not reset: the poll after the newest one is not.
    assert "reset" not in client.get(URL, params={"after": ids[3], "wait": "0"}).json()


def test_history_is_capped_at_history_limit_max(redis_url: str) -> None:
    with TestClient(create_app(make_settings(redis_url, history_limit_max=3))) as c:
        auth = sign_in(c, "ada")
        ids = [c.post(URL, json={"text": str(i)}, headers=auth).json()["id"] for i in range(5)]
        latest = c.get(URL, params={"limit": 100000}).json()
        assert [m["id"] for m in latest["messages"]] == ids[2:] and latest["has_more"] is True
        after = c.get(URL, params={"limit": 100000, "after": "0"}).json()
        assert [m["id"] for m in after["messages"]] == ids[:3] and after["has_more"] is True


def test_stream_is_trimmed_to_about_maxlen(redis_url: str, redis_sync: redis.Redis) -> None:
    with TestClient(create_app(make_settings(redis_url, stream_maxlen=10))) as c:
        auth = sign_in(c, "ada")
        for i in range(300):
            assert c.post(URL, json={"text": str(i)}, headers=auth).status_code == 201
        kept = redis_sync.xlen(keys.stream("general"))
    assert 10 <= kept < 300


def test_redis_down_answers_503(tmp_path) -> None:
    with TestClient(create_app(make_settings("redis://127.0.0.1:1/0"))) as c:
        for r in (c.post("/api/session", json={"name": "ada"}), c.get(URL)):
            assert r.status_code == 503 and r.json()["error"]["code"] == "redis_unavailable"
            assert int(r.headers["retry-after"]) >= 1
        assert c.get("/api/health").status_code == 503
