"""Typed dependencies: the resources the lifespan created, and validated path values."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from api.broker.hub import Hub
from api.broker.store import MessageStore
from api.config import Settings
from api.domain.messages import check_room


def _settings(conn: HTTPConnection) -> Settings:
    settings: Settings = conn.state.settings
    return settings


def _redis(conn: HTTPConnection) -> Redis:
    redis: Redis = conn.state.redis
    return redis


def _store(conn: HTTPConnection) -> MessageStore:
    store: MessageStore = conn.state.store
    return store


def _hub(conn: HTTPConnection) -> Hub:
    hub: Hub = conn.state.hub
    return hub


def _room(room: str) -> str:
    return check_room(room)


SettingsDep = Annotated[Settings, Depends(_settings)]
RedisDep = Annotated[Redis, Depends(_redis)]
StoreDep = Annotated[MessageStore, Depends(_store)]
HubDep = Annotated[Hub, Depends(_hub)]
RoomDep = Annotated[str, Depends(_room)]
