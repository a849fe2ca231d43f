"""The application: resources made in the lifespan, routes, errors and the static browser app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from redis.asyncio import Redis
from redis.exceptions import RedisError

from api.broker import keys
from api.broker.accounts import AccountStore
from api.broker.accounts_cluster import ClusterAccountStore
from api.broker.backend import Backend, RedisPubSub
from api.broker.blobs import open_blob_store, store_origin
from api.broker.changes import ChangeStore
from api.broker.cluster import cluster_client, is_cluster
from api.broker.connection import commands_client, subscriber_client
from api.broker.files import FileStore
from api.broker.hub import Hub
from api.broker.layout import ensure_layout
from api.broker.opening import StreamOpening
from api.broker.presence import Presence
from api.broker.rates import RateCounters
from api.broker.rooms import RoomStore
from api.broker.rooms_cluster import ClusterRoomStore
from api.broker.sharded import ShardedPubSub
from api.broker.signals import Signals
from api.broker.store import MessageStore, SendLimits
from api.broker.subscription import End
from api.config import Settings, get_settings
from api.domain.identity import MIN_SECRET_CHARS, TokenSigner
from api.observability.metrics import Metrics
from api.transport import (
    conversation,
    errors,
    events,
    files,
    health,
    messages,
    metrics,
    rooms,
    session,
    signals,
    websocket,
)
from api.transport.body import BodyLimit
from api.transport.direct import ChatApp
from api.transport.headers import SecurityHeaders
from api.transport.quota import StreamQuota
from api.transport.request_log import RequestLog
from api.transport.send_route import SendRoute, is_send
from api.transport.shutdown import Drain, TrackRequests
from api.transport.stream_routes import StreamRoutes, is_stream
from api.usecases.accounts import Accounts
from api.usecases.conversation import Conversation
from api.usecases.files import FileLimits, Files
from api.usecases.limits import Limits
from api.usecases.messaging import Messaging
from api.usecases.rooms import Rooms
from api.usecases.signaling import Signaling
from api.usecases.streams import Streams

logger = logging.getLogger(__name__)


class MissingSecret(RuntimeError):
    pass


class WeakSecret(RuntimeError):
    pass


_NEW_SECRET_HINT = "(for example the output of `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"


async def _signing_secret(settings: Settings, redis: Redis) -> str:
    if settings.chat_secret:
        return settings.chat_secret
    # Locally, one generated secret shared through Redis by every process of this deployment.
    try:
        await redis.set(keys.SECRET, secrets.token_urlsafe(32), nx=True)
        secret = str(await redis.get(keys.SECRET))
    except (RedisError, OSError):
        logger.warning("CHAT_SECRET is not set and Redis is unreachable: tokens last until this process ends")
        return secrets.token_urlsafe(32)
    logger.warning("CHAT_SECRET is not set: using a generated development secret kept in Redis")
    return secret


async def _on_cluster(settings: Settings) -> bool:
    """Whether REDIS_URL is a Redis Cluster (INFO cluster), found out once at start."""
    try:
        cluster = await is_cluster(settings.redis_url, settings.redis_timeout_seconds)
    except (RedisError, OSError) as exc:
        logger.warning("could not tell whether Redis is a cluster (%s): taking it for one Redis", exc)
        return False
    if cluster:
        logger.info("Redis is a cluster: sharded pub/sub, one subscriber connection per shard")
    return cluster


def create_app(settings: Settings | None = None) -> ChatApp:
    settings = settings or get_settings()
    if settings.production and not settings.chat_secret:
        raise MissingSecret(
            "CHAT_SECRET is not set. In production (Vercel, AWS Lambda or CHAT_ENV=production) tokens "
            f"must be signed with a configured secret: set CHAT_SECRET to a long random string {_NEW_SECRET_HINT}."
        )
    if settings.chat_secret and len(settings.chat_secret) < MIN_SECRET_CHARS:
        raise WeakSecret(
            f"CHAT_SECRET has {len(settings.chat_secret)} characters; it needs at least {MIN_SECRET_CHARS}: "
            "a short key can be guessed from any token, and then anyone's tokens forged. Set it to a long "
            f"random string {_NEW_SECRET_HINT}."
        )

    drain = Drain(settings.shutdown_seconds)

    @asynccontextmanager
    async def lifespan(_: ChatApp) -> AsyncIterator[dict[str, Any]]:
        cluster = await _on_cluster(settings)
        if cluster:
            # The stores use only commands a cluster client has too, each script within one slot.
            client = cluster_client(
                settings.redis_url,
                settings.redis_max_connections,
                settings.redis_timeout_seconds,
                settings.redis_idle_seconds,
                settings.redis_queue_seconds,
            )
            redis = cast(Redis, client)  # the stores check which it is where it matters
        else:
            redis = commands_client(
                settings.redis_url,
                settings.redis_max_connections,
                settings.redis_timeout_seconds,
                settings.redis_idle_seconds,
            )
        send_limits = SendLimits(
            guest_idle_ms=settings.guest_idle_seconds * 1000,
            per_window=settings.send_rate_count,
            window_ms=settings.send_rate_window_seconds * 1000,
        )
        store = MessageStore(redis, settings.stream_maxlen, settings.idempotency_seconds, send_limits)
        backend: Backend = (
            ShardedPubSub(settings.redis_url, store, settings.redis_timeout_seconds)
            if cluster
            else RedisPubSub(
                subscriber_client(settings.redis_url, settings.redis_timeout_seconds),
                store,
                settings.redis_timeout_seconds,
            )
        )
        hub = Hub(
            backend,
            queue_size=settings.client_queue_size,
            heartbeat_seconds=settings.sse_heartbeat_seconds,
            retry_max_seconds=settings.redis_retry_max_seconds,
        )
        presence = Presence(
            redis, settings.presence_ttl_seconds, settings.presence_grace_seconds, settings.guest_idle_seconds
        )
        room_store = (ClusterRoomStore if cluster else RoomStore)(redis)
        account_store = (ClusterAccountStore if cluster else AccountStore)(
            redis, settings.guest_idle_seconds, settings.token_ttl_seconds
        )
        signal_store = Signals(redis, settings.typing_throttle_ms, settings.typing_expires_ms)
        streams = Streams(hub, store, StreamOpening(redis), presence)
        hub.gap.readers = room_store.readers_among
        hub.gap.sessions = account_store.sessions_among
        meters = Metrics((reason.value for reason in End), lambda: hub.redis_errors + presence.redis_errors)
        counters = RateCounters(redis)
        limits = Limits(counters, settings.room_create_rate_per_hour, settings.session_rate_per_address_per_minute)
        blobs = open_blob_store(settings)
        file_limits = FileLimits(
            settings.files_max_bytes,
            settings.files_direct_max_bytes,
            settings.files_rate_per_hour,
            settings.image_max_pixels,
        )
        sharing = Files(FileStore(redis, settings.files_unattached_seconds), blobs, room_store, counters, file_limits)
        try:
            await ensure_layout(redis)
        except (RedisError, OSError) as exc:
            logger.warning("could not check the Redis key layout (%s): Redis is unreachable", exc)
        signer = TokenSigner(await _signing_secret(settings, redis), settings.token_ttl_seconds)
        refresher = asyncio.create_task(
            presence.run(settings.presence_refresh_seconds, hub.local_rooms), name="presence"
        )
        sweeper = asyncio.create_task(sharing.run(settings.files_sweep_seconds), name="files-sweep")
        drain.install(on_start=hub.drain)
        # What exists once started (modules, routes, these resources) lives as long as the process:
        # out of the cyclic collector's sight, its full collections stop walking all of it again
        # and again as connections come and go (connects per second up about a sixth). Collected
        # first, so that no garbage is kept for good.
        gc.collect()
        gc.freeze()
        try:
            yield {
                "settings": settings,
                "redis": redis,
                "hub": hub,
                "signer": signer,
                "streams": streams,
                "accounts": Accounts(
                    account_store, settings.login_failures_per_name, settings.login_window_seconds, hub.cache
                ),
                "rooms": Rooms(room_store, account_store, presence, limits, settings.admins, hub.cache),
                "limits": limits,
                "quota": StreamQuota(settings.streams_per_address),
                "metrics": meters,
                "messaging": Messaging(
                    store, room_store, account_store, signal_store, streams, settings.max_message_chars, meters
                ),
                "conversation": Conversation(
                    ChangeStore(redis, settings.stream_maxlen),
                    account_store,
                    counters,
                    max_chars=settings.max_message_chars,
                    admins=settings.admins,
                    per_window=settings.send_rate_count,
                    window_seconds=settings.send_rate_window_seconds,
                ),
                "signaling": Signaling(room_store, signal_store, presence),
                "files": sharing,
            }
        finally:
            drain.uninstall()
            for task in (refresher, sweeper):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await hub.stop(wait=drain.remaining(default=5))
            await blobs.aclose()
            await redis.aclose()

    app = ChatApp(title="Chat", lifespan=lifespan, docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.state.drain = drain
    app.add_middleware(TrackRequests, drain=drain)
    errors.install(app)
    # Outermost last: the security headers reach every answer, the body limit's 413 too.
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, larger=[files.upload_limit(settings.files_max_bytes)]
    )
    docs = [path for path in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if path]
    app.add_middleware(
        SecurityHeaders, trust_proxy=settings.trust_proxy, docs_paths=docs, file_origin=store_origin(settings)
    )
    # Outermost: the request log sees every answer as sent, and its whole time.
    app.add_middleware(RequestLog, trust_proxy=settings.trust_proxy)
    # The fast paths of the SSE routes (stream_routes.py) and of a send (send_route.py), doing
    # themselves what the middlewares do for them.
    fast_headers = SecurityHeaders(
        app, trust_proxy=settings.trust_proxy, docs_paths=docs, file_origin=store_origin(settings)
    )
    app.fast_routes = (
        (is_stream, StreamRoutes(fast_headers, settings.trust_proxy, drain.requests)),
        (is_send, SendRoute(fast_headers, settings.trust_proxy, drain.requests)),
    )
    for module in (session, rooms, messages, conversation, signals, events, websocket, health, files):
        app.include_router(module.router)
    if settings.metrics_token or not settings.production:
        app.include_router(metrics.router)  # in production only behind METRICS_TOKEN

    # On Vercel the CDN serves public/; elsewhere the app does, where the folder exists. Mounted
    # at /chat only, so that unknown /api paths stay JSON 404s.
    chat_dir = os.path.join(settings.public_dir, "chat")
    if os.path.isdir(chat_dir):

        @app.get("/", include_in_schema=False)
        @app.get("/chat", include_in_schema=False)
        async def to_chat() -> RedirectResponse:
            return RedirectResponse("/chat/")

        app.mount("/chat", StaticFiles(directory=chat_dir, html=True), name="chat")
    return app
