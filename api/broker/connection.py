"""Redis clients tuned for a chat server: quick failure while Redis is away, no idle timeouts on
the subscriber connection, and a bounded pool (hosted free tiers allow about 30 connections)."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


def _retry() -> Retry:
    return Retry(ExponentialBackoff(cap=0.2, base=0.02), 2, supported_errors=(RedisConnectionError, RedisTimeoutError))


def _socket_options(url: str) -> dict[str, bool]:
    # TCP keepalive is an option of TCP connections only: a unix:// URL (the embedded Redis of
    # `scripts/run`) refuses it.
    return {} if url.startswith("unix:") else {"socket_keepalive": True}


def commands_client(url: str, max_connections: int) -> Redis:
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=5,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=30,
        retry=_retry(),
        **_socket_options(url),
    )
    return Redis(connection_pool=pool)


def subscriber_client(url: str) -> Redis:
    # No socket timeout: this connection waits indefinitely for the next published event.
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=None,
        retry=_retry(),
        max_connections=2,
        **_socket_options(url),
    )
