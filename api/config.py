"""All configuration, read once from the environment."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ON_VERCEL = bool(os.environ.get("VERCEL"))
ON_LAMBDA = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
# Many short-lived instances share one Redis there (a free tier allows 30 connections in all).
SERVERLESS = ON_VERCEL or ON_LAMBDA
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="Redis to use; the run script starts an embedded one when unset.",
    )
    sse_max_seconds: float = Field(
        # Vercel's maxDuration in vercel.json is 300 s: end well before the platform does. Lambda
        # behind API Gateway buffers responses and cuts them at 30 s.
        250.0 if ON_VERCEL else 25.0 if ON_LAMBDA else 0.0,
        ge=0,
        description="Each SSE stream ends cleanly after this many seconds; 0 = never.",
    )
    sse_heartbeat_seconds: float = Field(15.0, gt=0)
    sse_retry_ms: int = Field(1000, ge=0, description="Reconnect delay told to EventSource.")
    max_message_chars: int = Field(4000, gt=0)
    max_body_bytes: int = Field(65536, gt=0, description="Largest request body; larger gets 413 before it is parsed.")
    stream_maxlen: int = Field(10000, gt=0, description="Messages kept per room (approximate).")
    idempotency_seconds: int = Field(86400, gt=0)
    history_limit_max: int = Field(200, gt=0)
    longpoll_max_seconds: float = Field(25.0, ge=0)
    client_queue_size: int = Field(
        256, gt=0, description="Events buffered per client before it is dropped as too slow."
    )
    redis_retry_max_seconds: float = Field(5.0, gt=0)
    redis_max_connections: int = Field(
        5 if SERVERLESS else 10,
        gt=1,
        description="Command connections per process (per node on a cluster), besides the subscriber; more "
        "concurrent calls wait for one (within REDIS_TIMEOUT_SECONDS).",
    )
    redis_idle_seconds: float = Field(
        10.0 if SERVERLESS else 60.0, gt=0, description="A command connection unused this long is closed."
    )
    redis_queue_seconds: float = Field(
        10.0,
        gt=0,
        description="On a Redis Cluster, how long a call waits for one of the REDIS_MAX_CONNECTIONS places in "
        "flight during a burst (then 503); its REDIS_TIMEOUT_SECONDS starts once it has one.",
    )
    redis_timeout_seconds: float = Field(
        2.0, gt=0, description="Deadline of each Redis call (and of waiting for a pooled connection); then 503."
    )
    shutdown_seconds: float = Field(
        5.0, gt=0, description="On SIGTERM streams end at once and the process exits within this."
    )
    chat_secret: str = Field("", description="Token signing key; required in production.")
    chat_env: str = Field("development", description="'production' requires CHAT_SECRET.")
    trust_proxy: bool = Field(
        ON_VERCEL,
        description="Take the client's address and scheme from X-Forwarded-For / X-Forwarded-Proto: set it "
        "only when every request comes through a proxy that sets them (Vercel's edge does).",
    )
    token_ttl_seconds: int = Field(7 * 86400, gt=0)
    guest_idle_seconds: int = Field(3600, gt=0, description="A guest name is released after this idle time.")
    presence_ttl_seconds: float = Field(45.0, gt=0, description="A vanished client leaves after at most this.")
    presence_refresh_seconds: float = Field(15.0, gt=0)
    presence_grace_seconds: float = Field(
        5.0, ge=0, description="A client back within this after its stream ended never left."
    )
    typing_throttle_ms: int = Field(2000, ge=0)
    typing_expires_ms: int = Field(5000, gt=0)
    send_rate_count: int = Field(20, gt=0, description="Messages one person may send per window.")
    send_rate_window_seconds: int = Field(10, gt=0)
    stream_rooms_max: int = Field(50, gt=0, description="Rooms one multi-room stream may follow.")
    streams_per_address: int = Field(20, gt=0, description="Open streams (SSE, WebSocket) per client address.")
    login_failures_per_name: int = Field(10, gt=0, description="Wrong passwords checked per name per window.")
    login_window_seconds: int = Field(300, gt=0)
    session_rate_per_address_per_minute: int = Field(30, gt=0, description="Sign-ins per client address.")
    room_create_rate_per_hour: int = Field(10, gt=0, description="Rooms one person (or address) may create.")
    chat_admins: str = Field("", description="Comma-separated registered names that may remove and delete.")
    public_dir: str = Field(
        os.path.join(_ROOT, "public"),
        description="Static browser app, mounted when the folder exists.",
    )
    metrics_token: str = Field(
        "", description="Bearer token /api/metrics asks for; unset: open, except in production, where it is off."
    )
    files_url: str = Field(
        "file://" + os.path.join(_ROOT, "data", "files"),
        description="Where file bytes go: file://PATH, or s3://BUCKET[/PREFIX] with the AWS_* variables.",
    )
    files_max_bytes: int = Field(4 * MIB, gt=0, description="Largest upload through the app (Vercel cuts at 4.5 MB).")
    files_direct_max_bytes: int = Field(
        100 * MIB, gt=0, description="Largest signed direct upload to an S3 store (for files over FILES_MAX_BYTES)."
    )
    files_rate_per_hour: int = Field(60, gt=0, description="Uploads one person may make per hour.")
    files_unattached_seconds: int = Field(
        86400, gt=0, description="An upload not attached to a message within this is deleted."
    )
    files_sweep_seconds: float = Field(
        300, gt=0, description="How often each process deletes the bytes of files whose time has come."
    )
    files_url_seconds: int = Field(300, gt=0, description="Life of a signed S3 download or upload URL.")
    image_max_pixels: int = Field(40_000_000, gt=0, description="Largest image (width x height x frames) decoded.")
    aws_access_key_id: str = Field("", description="S3 store: access key (standard AWS variable).")
    aws_secret_access_key: str = Field("", description="S3 store: secret key.")
    aws_session_token: str = Field("", description="S3 store: session token of temporary credentials.")
    aws_region: str = Field("", description="S3 store: region (else AWS_DEFAULT_REGION, else us-east-1).")
    aws_default_region: str = Field("")
    aws_endpoint_url: str = Field("", description="S3 store: endpoint of an S3-compatible store (http allowed).")
    log_format: Literal["text", "json"] = Field("text", description="Log lines as text or as JSON objects.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field("INFO")

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(name.strip().lower() for name in self.chat_admins.split(",") if name.strip())

    @property
    def production(self) -> bool:
        return self.chat_env == "production" or ON_VERCEL or ON_LAMBDA


@lru_cache
def get_settings() -> Settings:
    return Settings()
