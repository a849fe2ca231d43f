"""GET /api/metrics: the process's metrics in Prometheus text (OpenMetrics when asked for), behind
METRICS_TOKEN when it is set.

In production without a token the route is not mounted at all (404): metrics say how busy the
service is and who streams what, which is nobody's business but the operator's.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.domain.errors import Code
from api.transport.deps import MetricsDep, SettingsDep
from api.transport.errors import error_body

router = APIRouter()


def authorized(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@router.get("/api/metrics", include_in_schema=False)
async def scrape(request: Request, metrics: MetricsDep, settings: SettingsDep) -> Response:
    if settings.metrics_token and not authorized(request, settings.metrics_token):
        refusal = error_body(Code.INVALID_TOKEN, "send 'Authorization: Bearer METRICS_TOKEN'")
        return JSONResponse(refusal, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body, content_type = metrics.exposition(request.headers.get("accept", ""))
    return Response(body, headers={"content-type": content_type})
