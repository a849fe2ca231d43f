"""The application: resources made in the lifespan, routes, errors and the static browser app."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from api import errors
from api.broker.connection import commands_client, subscriber_client
from api.broker.hub import Hub
from api.broker.store import MessageStore
from api.config import Settings, get_settings
from api.transport import events, health, messages, websocket

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[dict[str, Any]]:
        redis = commands_client(settings.redis_url, settings.redis_max_connections)
        store = MessageStore(redis, settings.stream_maxlen, settings.idempotency_seconds)
        hub = Hub(
            subscriber_client(settings.redis_url),
            store,
            queue_size=settings.client_queue_size,
            heartbeat_seconds=settings.sse_heartbeat_seconds,
            retry_max_seconds=settings.redis_retry_max_seconds,
        )
        await hub.start()
        try:
            yield {"settings": settings, "redis": redis, "store": store, "hub": hub}
        finally:
            await hub.stop()
            await redis.aclose()

    app = FastAPI(title="Chat", lifespan=lifespan, docs_url="/api/docs", openapi_url="/api/openapi.json")
    errors.install(app)
    for module in (messages, events, websocket, health):
        app.include_router(module.router)

    # On Vercel the CDN serves public/; elsewhere the app does, where the folder exists.
    if os.path.isdir(settings.public_dir):

        @app.get("/", include_in_schema=False)
        async def root() -> RedirectResponse:
            return RedirectResponse("/chat/")

        app.mount("/", StaticFiles(directory=settings.public_dir, html=True), name="public")
    return app
