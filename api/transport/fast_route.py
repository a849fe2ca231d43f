"""What the middlewares do for a request that a fast path serves in front of FastAPI (the SSE
routes, stream_routes.py; a send, send_route.py): its request id and log line (request_log.py),
the security headers (headers.py), and being known to the drain (shutdown.py)."""

from __future__ import annotations

import asyncio
import time
from contextvars import Token
from typing import Any

from starlette.types import Scope

from api.observability.logs import REQUEST_ID
from api.transport.headers import SecurityHeaders
from api.transport.request_log import HEADER, log_request, request_id

# The request id's token, when it started, its task, and the headers the middlewares would add
# (the request id last).
Begun = tuple[Token[str], float, "asyncio.Task[Any] | None", list[tuple[bytes, bytes]]]


class FastRoute:
    def __init__(self, security: SecurityHeaders, trust_proxy: bool, requests: set[asyncio.Task[Any]]) -> None:
        self._security = security
        self._trust_proxy = trust_proxy
        self._requests = requests

    def begin(self, scope: Scope) -> Begun:
        rid = request_id(scope)
        token = REQUEST_ID.set(rid)
        task = asyncio.current_task()
        if task is not None:
            self._requests.add(task)
        return token, time.perf_counter(), task, [*self._security.extra_for(scope), (HEADER, rid.encode())]

    def end(self, scope: Scope, status: int, token: Token[str], started: float, task: asyncio.Task[Any] | None) -> None:
        if task is not None:
            self._requests.discard(task)
        log_request(scope, "http", status, None, started, self._trust_proxy)
        REQUEST_ID.reset(token)
