"""The send route's fast path answers as the FastAPI route does. A body typed `+json` other than
application/json is parsed alike by the route and left to it, so each send is made both ways
against a real server and the answers compared: status, JSON body (a new message's own id, time,
number and client id aside), and the headers' names and values (the request id, date and length aside)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from api.transport.send_route import is_send
from tests.conftest import LiveServer
from tests.helpers import session

FAST = {"content-type": "application/json"}
ROUTER = {"content-type": "application/x.chat+json"}  # parsed alike, answered by the route
VARYING = {"x-request-id", "date", "content-length"}
OWN = {"id", "ts", "n", "client_id"}


def scope(**headers: str) -> dict[str, object]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/api/rooms/general/messages",
        "state": {},
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }


SHAPE = {"content-length": "2", "content-type": "application/json", "authorization": "Bearer x"}


@pytest.mark.parametrize(
    ("change", "taken"),
    [
        ({}, True),
        ({"content-type": "application/json; charset=UTF-8"}, True),
        ({"authorization": "bearer x"}, True),
        ({"cookie": "chat_token=x"}, True),  # the route ignores the cookie on a send too
        ({"content-type": "text/plain"}, False),
        ({"content-type": "application/x.chat+json"}, False),
        ({"authorization": "Basic eA=="}, False),
        ({"content-length": "x"}, False),
        ({"idempotency-key": "k"}, False),
        ({"transfer-encoding": "chunked"}, False),
    ],
)
def test_which_sends_are_taken(change: dict[str, str], taken: bool) -> None:
    assert is_send(scope(**{**SHAPE, **change})) is taken


@pytest.mark.parametrize(
    "path",
    ["/api/rooms//messages", "/api/rooms/a/b/messages", "/api/rooms/general/messages/", "/api/rooms/general/events"],
)
def test_other_paths_are_not_taken(path: str) -> None:
    assert not is_send({**scope(**SHAPE), "path": path})
    assert not is_send({**scope(**SHAPE), "method": "GET"})
    assert not is_send({k: v for k, v in scope(**SHAPE).items() if k != "state"})


def _same(fast: httpx.Response, routed: httpx.Response) -> None:
    assert fast.status_code == routed.status_code, (fast.text, routed.text)
    names = [name for name, _ in fast.headers.multi_items()]
    assert names == [name for name, _ in routed.headers.multi_items()]
    assert "x-request-id" in names and "content-security-policy" in names
    assert [v for k, v in fast.headers.multi_items() if k not in VARYING] == [
        v for k, v in routed.headers.multi_items() if k not in VARYING
    ]
    if fast.status_code >= 400:
        assert fast.json() == routed.json()
        assert set(fast.json()["error"]) == {"code", "message"}
    else:
        mine, theirs = fast.json(), routed.json()
        assert {k: v for k, v in mine.items() if k not in OWN} == {k: v for k, v in theirs.items() if k not in OWN}


def both(
    server: LiveServer, room: str, body: bytes | str, auth: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    url = f"{server.url}/api/rooms/{room}/messages"
    fast = httpx.post(url, content=body, headers={**auth, **FAST})
    routed = httpx.post(url, content=body, headers={**auth, **ROUTER})
    return fast, routed


@pytest.mark.parametrize(
    ("room", "body"),
    [
        ("general", '{"text": "hello"}'),
        ("general", '{"text": "hello", "client_id": "CID"}'),
        ("No!", '{"text": "hello"}'),
        ("general", '{"text": ""}'),
        ("general", '{"text": "a\\u0000b"}'),
        ("general", '{"text": "' + "x" * 5000 + '"}'),
        ("general", '{"text": 5}'),
        ("general", "[1]"),
        ("general", '{"text": '),
        ("general", b'{"text": "\xff"}'),
        ("general", '{"text": "\\ud800"}'),
        ("general", '{"text": "hi", "reply_to": "nope"}'),
        ("general", '{"text": "hi", "reply_to": "1-0"}'),
        ("general", '{"text": "hi", "files": ["nope"]}'),
        ("general", '{"text": "hi", "files": "nope"}'),
        ("general", '{"text": "hi", "client_id": 7}'),
        ("general", '{"text": "' + "x" * 30_000 + '"}'),  # past the message's own body limit
        ("general", '{"text": "' + "x" * 70_000 + '"}'),  # past MAX_BODY_BYTES: the connection closes
    ],
)
def test_sends_are_the_routes_answers(live_server: LiveServer, room: str, body: str | bytes) -> None:
    auth = session(live_server.url, "ada")
    url = f"{live_server.url}/api/rooms/{room}/messages"
    if isinstance(body, str) and "CID" in body:
        # A new client id each way: a new message, then each replayed by sending it again.
        mine, theirs = (body.replace("CID", uuid.uuid4().hex) for _ in range(2))
        for status in (201, 200):
            fast = httpx.post(url, content=mine, headers={**auth, **FAST})
            routed = httpx.post(url, content=theirs, headers={**auth, **ROUTER})
            assert fast.status_code == status
            _same(fast, routed)
        # One send's id, replayed by the other path.
        first = httpx.post(url, content=body.replace("CID", "cross"), headers={**auth, **FAST})
        again = httpx.post(url, content=body.replace("CID", "cross"), headers={**auth, **ROUTER})
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
        return
    _same(*both(live_server, room, body, auth))


def test_refusals_of_the_sender_are_the_routes_answers(live_server: LiveServer) -> None:
    ada, eve = session(live_server.url, "ada"), session(live_server.url, "eve")
    created = httpx.post(f"{live_server.url}/api/rooms", json={"name": "vault", "private": True}, headers=ada)
    assert created.status_code == 201, created.text
    _same(*both(live_server, "vault", '{"text": "hi"}', eve))  # not a member
    forged = {"authorization": "Bearer not.a.token"}
    _same(*both(live_server, "general", '{"text": "hi"}', forged))
    # Refused in the route's order: the body limit, the room, the token, the message's own limit.
    _same(*both(live_server, "No!", '{"text": "' + "x" * 70_000 + '"}', forged))
    _same(*both(live_server, "No!", '{"text": "hi"}', forged))
    _same(*both(live_server, "general", '{"text": "' + "x" * 30_000 + '"}', forged))
    assert httpx.delete(f"{live_server.url}/api/session", headers=eve).status_code == 204
    _same(*both(live_server, "general", '{"text": "hi"}', eve))  # a session that ended
