"""Liveness that means something: Redis answers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from api.domain.errors import Code, DomainError
from api.transport.deps import HubDep, RedisDep
from api.transport.errors import error_response
from api.transport.schemas import Health, answers

router = APIRouter()


@router.get("/api/health", response_model=None, responses=answers({200: Health}, 503))
async def health(redis: RedisDep, hub: HubDep) -> JSONResponse:
    try:
        await redis.ping()
    except (RedisError, OSError):
        return error_response(DomainError(Code.UNAVAILABLE, "Redis does not answer", retry_after=2))
    return JSONResponse({"status": "ok", "subscriber": hub.connected.is_set(), "clients": hub.subscriber_count})
