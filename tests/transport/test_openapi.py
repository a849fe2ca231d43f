"""The OpenAPI document tells the truth: schemathesis generates requests from /api/openapi.json
(valid and invalid ones) and checks every answer against it: no server error, and only documented
status codes, content types, headers and bodies. The app runs in-process with its lifespan, on
the suite's real Redis; its streams and long-polls end within a fraction of a second.

Runs are reproducible (derandomized) and short; FUZZ_RANDOM=1 explores new inputs on each run, and
FUZZ_EXAMPLES=N tries N inputs per route instead of 30.
(schemathesis's own pytest loader does not run on pytest 9: each operation is a hypothesis test
of its own here, with the same checks.)"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.python import asgi

from api.app import create_app
from api.config import Settings
from tests.conftest import make_settings

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
SEEDED = ["general", "secret"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))  # per route, valid and invalid input
OPERATIONS = [
    f"{method.upper()} {path}"
    for path, methods in create_app(Settings(redis_url="redis://unused")).openapi()["paths"].items()
    for method in methods
]


@pytest.fixture
def fuzzed_app(redis_url: str) -> Iterator[FastAPI]:
    app = create_app(make_settings(redis_url, sse_max_seconds=0.2, longpoll_max_seconds=0.2))
    yield app
    asgi.shutdown_lifespans()


@pytest.fixture
def auth(fuzzed_app: FastAPI) -> dict[str, str]:
    """A signed-in guest, and rooms with history, so that generated requests get past sign-in
    and pages hold messages."""
    with asgi.get_client(cast(asgi.ASGIApp, fuzzed_app)) as client:
        token = client.post("/api/session", json={"name": "fuzzer"}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        ids = []
        for i in range(3):
            sent = client.post("/api/rooms/general/messages", json={"text": f"m{i} @fuzzer"}, headers=headers)
            assert sent.ok
            ids.append(sent.json()["id"])
        # Messages as they now are: deleted, edited, reacted to, and a reply.
        base = "/api/rooms/general/messages/"
        assert client.delete(base + ids[0], headers=headers).status_code == 204
        assert client.patch(base + ids[1], json={"text": "m1 edited"}, headers=headers).ok
        assert client.put(base + ids[2] + "/reactions/%F0%9F%91%8D", headers=headers).ok
        reply = {"text": "re", "reply_to": ids[2]}
        assert client.post("/api/rooms/general/messages", json=reply, headers=headers).ok
        assert client.post("/api/rooms", json={"name": "secret", "private": True}, headers=headers).ok
        assert client.post("/api/rooms/secret/messages", json={"text": "psst"}, headers=headers).ok
    return headers


def test_every_route_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 16 and "POST /api/rooms/{room}/messages" in OPERATIONS


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_answer_is_documented(fuzzed_app: FastAPI, auth: dict[str, str], label: str) -> None:
    operation = schemathesis.openapi.from_asgi("/api/openapi.json", fuzzed_app).find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served document"
    strategies = [operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    if "{room}" in operation.path:
        # Also the rooms that hold something: pages with messages, read positions, a private room.
        strategies.append(
            st.sampled_from(SEEDED).flatmap(
                lambda room: operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"room": room})
            )
        )
    cases = st.one_of(strategies)

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=auth, checks=CHECKS)

    fuzz()


def test_the_document_describes_bodies_errors_and_streams() -> None:
    document = create_app(Settings(redis_url="redis://unused")).openapi()
    error = {"$ref": "#/components/schemas/Error"}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    assert answer["content"]["application/json"]["schema"] == error, f"{method} {path} {status}"
                if status in ("429", "503"):
                    assert answer["headers"]["Retry-After"]["required"], f"{method} {path} {status}"
            # Signals with nothing to say: typing, and a direct upload's completion.
            if method == "post" and path not in (
                "/api/rooms/{room}/typing",
                "/api/rooms/{room}/uploads/{file_id}/complete",
            ):
                assert operation["requestBody"]["required"], f"{method} {path}"
    send = document["paths"]["/api/rooms/{room}/messages"]["post"]
    assert set(send["requestBody"]["content"]) == {"application/json", "text/plain"}
    assert {"413", "415", "429"} <= set(send["responses"])
    for path in ("/api/rooms/{room}/events", "/api/events"):
        assert set(document["paths"][path]["get"]["responses"]["200"]["content"]) == {"text/event-stream"}
    upload = document["paths"]["/api/rooms/{room}/files"]["post"]
    assert set(upload["requestBody"]["content"]) == {"multipart/form-data"}
    assert {"201", "413", "422", "429", "503"} <= set(upload["responses"])
