"""AWS Lambda in miniature, for the Mangum entry point.

Run as `python -m tests.deploy.lambda_host`, it is one warm Lambda container: it imports
`api.index` once, as the Lambda runtime would, then serves invocations one at a time, each a
JSON line on stdin (an event) answered by a JSON line on stdout (the handler's return value).
Several of them stand for several containers sharing one Redis. `LambdaHost` drives one from a
test; `http_event` builds an API Gateway HTTP API (payload format 2.0) event.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parents[2]


class LambdaContext:
    """What the Lambda runtime passes as `context`, with the attributes it documents."""

    def __init__(self, timeout_seconds: float = 30.0) -> None:
        self.function_name = "chat"
        self.function_version = "$LATEST"
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:chat"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = "/aws/lambda/chat"
        self.log_stream_name = "2024/01/01/[$LATEST]0123456789abcdef"
        self.identity: Any = None  # set only for calls from the AWS Mobile SDK
        self.client_context: Any = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def http_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API event, payload format version 2.0, as the `$default` route sends."""
    raw_query = urlencode(query or {})
    now = time.time()
    all_headers = {
        "host": "abc123.execute-api.us-east-1.amazonaws.com",
        "user-agent": "deploy-test",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        **(headers or {}),
    }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": all_headers["host"],
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": all_headers["user-agent"],
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if raw_query:
        event["queryStringParameters"] = dict(parse_qsl(raw_query))
    if body is not None:
        event["body"] = body
    return event


class LambdaHost:
    """One Lambda container (a `python -m tests.deploy.lambda_host` process) driven from a test."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.deploy.lambda_host"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        self._selector = selectors.DefaultSelector()
        assert self.process.stdout is not None
        self._selector.register(self.process.stdout, selectors.EVENT_READ)
        self.invocations = 0

    def send(self, event: dict[str, Any]) -> None:
        """Starts an invocation; `receive` collects its result (so a test can act meanwhile)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"event": event}).encode() + b"\n")
        self.process.stdin.flush()
        self.invocations += 1

    def receive(self, timeout: float = 30.0) -> dict[str, Any]:
        assert self.process.stdout is not None
        if not self._selector.select(timeout):
            raise TimeoutError(f"no answer within {timeout}s; log:\n{self.log()}")
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Lambda host exited ({self.process.poll()}); log:\n{self.log()}")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"the handler raised:\n{reply['error']}")
        result: dict[str, Any] = reply["result"]
        return result

    def invoke(self, event: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        self.send(event)
        return self.receive(timeout)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._selector.close()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


def _serve() -> None:
    protocol = sys.stdout
    sys.stdout = sys.stderr  # anything the app prints goes to the log, never into the replies
    started = time.monotonic()
    from api.index import handler  # the cold start: what Lambda imports, with its side effects

    sys.stderr.write(f"cold start: imported api.index in {time.monotonic() - started:.3f}s\n")
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply: dict[str, Any] = {"result": handler(request["event"], LambdaContext())}
        except BaseException as exc:  # reported to the test, which fails
            import traceback

            reply = {"error": "".join(traceback.format_exception(exc))}
        protocol.write(json.dumps(reply) + "\n")
        protocol.flush()


if __name__ == "__main__":
    os.chdir(ROOT)
    _serve()
