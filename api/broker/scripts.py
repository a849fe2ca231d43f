"""The Lua scripts: one .lua file each under lua/, each prefixed with the wire's formats and with
the publish command of the Redis it runs on.

Scripts publish with `redis.call(PUBLISH, channel, data)`: PUBLISH on one Redis, SPUBLISH (sharded
pub/sub, Redis 7+) on a Redis Cluster, where the channel, like every key a script touches, must
sit in the script's one slot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from redis.asyncio import Redis, RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from api.wire import envelope

_DIR = Path(__file__).parent / "lua"


@cache
def source(name: str, *libs: str, sharded: bool = False) -> str:
    """The script `name`, after the publish command, the wire formats and the named helper files
    of lua/."""
    publish = f"local PUBLISH = '{'SPUBLISH' if sharded else 'PUBLISH'}'"
    parts = [publish, envelope.LUA, *((_DIR / f"{lib}.lua").read_text() for lib in libs)]
    return "\n".join([*parts, (_DIR / f"{name}.lua").read_text()])


class Script(AsyncScript):
    """redis-py's script; run on the client it was made for, without redis-py's check for a
    pipeline first (an isinstance against a typing Protocol: 2% of a send's CPU)."""

    async def __call__(
        self,
        keys: Sequence[Any] | None = None,
        args: Iterable[Any] | None = None,
        client: Any = None,
    ) -> Any:
        if client is not None:
            return await super().__call__(keys, args, client)
        keys = keys or ()
        words = (*keys, *(args or ()))
        try:
            return await self.registered_client.evalsha(self.sha, len(keys), *words)
        except NoScriptError:
            self.sha = await self.registered_client.script_load(self.script)
            return await self.registered_client.evalsha(self.sha, len(keys), *words)


def register(redis: Redis | RedisCluster, name: str, *libs: str) -> AsyncScript:
    return Script(redis, source(name, *libs, sharded=isinstance(redis, RedisCluster)))
