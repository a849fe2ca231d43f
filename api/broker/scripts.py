"""The Lua scripts: one .lua file each under lua/, each prefixed with the wire's formats."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from api.wire import envelope

_DIR = Path(__file__).parent / "lua"


@cache
def source(name: str, *libs: str) -> str:
    """The script `name`, after the wire formats and the named helper files of lua/."""
    parts = [envelope.LUA, *((_DIR / f"{lib}.lua").read_text() for lib in libs), (_DIR / f"{name}.lua").read_text()]
    return "\n".join(parts)


def register(redis: Redis, name: str, *libs: str) -> AsyncScript:
    return redis.register_script(source(name, *libs))
