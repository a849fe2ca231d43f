"""Log lines: their two formats, the request id they carry, and what is scrubbed from them."""

from __future__ import annotations

import json
import logging

import pytest

from api.config import Settings
from api.observability.logs import REQUEST_ID, JsonFormatter, Redactor, TextFormatter, fields, secrets_of

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhYmMiLCJzaWQiOiJ4eXoifQ.c2lnbmF0dXJlLXBhcnQ"


def record(message: str, *args: object, exc: BaseException | None = None, **values: object) -> logging.LogRecord:
    made = logging.LogRecord("api.test", logging.INFO, __file__, 1, message, args, None)
    if exc is not None:
        made.exc_info = (type(exc), exc, exc.__traceback__)
    made.fields = values
    return made


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        (f"cookie chat_token={JWT}; path=/api", JWT),
        ("Authorization: Bearer opaque-credential-1", "opaque-credential-1"),
        ('{"name": "grace", "password": "correct horse battery"}', "horse"),
        ("{'password': 'correct horse battery'}", "horse"),
        ("POST /login?user=a&password=hunter22&x=1", "hunter22"),
        ("secret=abc123def", "abc123def"),
        ("connecting to rediss://default:pa55w0rd@db.example:6380/0", "pa55w0rd"),
        ("the configured key is a-very-long-configured-secret", "a-very-long-configured-secret"),
    ],
)
def test_secrets_are_scrubbed(text: str, leaked: str) -> None:
    scrubbed = Redactor(["a-very-long-configured-secret"])(text)
    assert leaked not in scrubbed and "[redacted]" in scrubbed


def test_ordinary_words_and_short_configured_values_are_kept() -> None:
    text = "CHAT_SECRET is not set: 3 tokens left, password strength ok, room x"
    assert Redactor(["x", "ok"])(text) == text


def test_the_configured_secrets_are_the_chat_secret_the_metrics_token_and_the_redis_password() -> None:
    settings = Settings(redis_url="redis://default:redis-pass-99@h:1/0", chat_secret="c" * 40, metrics_token="m" * 20)
    assert sorted(secrets_of(settings)) == sorted(["c" * 40, "m" * 20, "redis-pass-99"])


def test_json_lines_carry_fields_the_request_id_and_a_scrubbed_traceback() -> None:
    formatter = JsonFormatter(Redactor())
    token = REQUEST_ID.set("req-1")
    try:
        try:
            raise ValueError(f"bad token={JWT}")
        except ValueError as exc:
            line = formatter.format(record("request %s", "done", exc=exc, status=201, path="/a b", who=["x"]))
    finally:
        REQUEST_ID.reset(token)
    parsed = json.loads(line)
    assert parsed["message"] == "request done" and parsed["level"] == "INFO" and parsed["logger"] == "api.test"
    assert parsed["request_id"] == "req-1" and parsed["status"] == 201 and parsed["path"] == "/a b"
    assert parsed["who"] == "['x']" and parsed["time"].endswith("Z")
    assert "ValueError" in parsed["exception"] and JWT not in line


def test_text_lines_quote_values_that_would_be_ambiguous() -> None:
    line = TextFormatter(Redactor()).format(record("stream end", reason="slow", path='/a b"\n', n=3))
    head, _, rest = line.partition(" INFO api.test: ")
    assert head.endswith("Z") and rest == 'stream end reason=slow path="/a b\\"\\n" n=3'
    assert "\n" not in line and "request_id" not in line  # outside a request


def test_fields_are_passed_as_extra() -> None:
    assert fields(a=1) == {"fields": {"a": 1}}
