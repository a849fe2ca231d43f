"""Liveness that means something: Redis answers, within a deadline even when it hangs."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from api.domain.errors import Code, DomainError
from api.transport.deps import HubDep, MetricsDep, RedisDep, SettingsDep
from api.transport.errors import error_response
from api.transport.schemas import Health, answers

router = APIRouter()

# The answer comes within this, whatever REDIS_TIMEOUT_SECONDS is: a load balancer or an
# orchestrator probing it gives up after a few seconds.
HEALTH_DEADLINE_SECONDS = 1.0


@router.get("/api/health", response_model=None, responses=answers({200: Health}, 503))
async def health(redis: RedisDep, hub: HubDep, settings: SettingsDep, metrics: MetricsDep) -> JSONResponse:
    try:
        async with asyncio.timeout(min(HEALTH_DEADLINE_SECONDS, settings.redis_timeout_seconds)):
            await redis.ping()
    except (RedisError, OSError, TimeoutError):
        metrics.redis_error()
        return error_response(DomainError(Code.UNAVAILABLE, "Redis does not answer", retry_after=2))
    return JSONResponse({"status": "ok", "subscriber": hub.connected.is_set(), "clients": hub.subscriber_count})
