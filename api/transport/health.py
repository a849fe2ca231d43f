"""Liveness that means something: Redis answers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from api.transport.deps import HubDep, RedisDep
from api.transport.errors import error_body

router = APIRouter()


@router.get("/api/health")
async def health(redis: RedisDep, hub: HubDep) -> JSONResponse:
    try:
        await redis.ping()
    except (RedisError, OSError):
        return JSONResponse(error_body("redis_unavailable", "Redis does not answer"), status_code=503)
    return JSONResponse({"status": "ok", "subscriber": hub.connected.is_set(), "clients": hub.subscriber_count})
