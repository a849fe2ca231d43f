"""The Lua half of the wire formats, run by a real Redis, against the Python half."""

import json

import pytest
import redis

from api.broker import scripts
from api.wire import envelope


def lua(redis_sync: redis.Redis, expression: str, *args: str) -> str:
    return str(redis_sync.eval(envelope.LUA + "\nreturn " + expression, 0, *args))


@pytest.mark.parametrize(
    ("kind", "id", "data"), [("typing", "", '{"user":"u"}'), ("read", "", "{}"), ("presence", "", '{"a":"é"}')]
)
def test_envelope_is_built_alike_in_lua_and_python(redis_sync: redis.Redis, kind: str, id: str, data: str) -> None:
    assert lua(redis_sync, "envelope(ARGV[1], ARGV[2], ARGV[3])", kind, id, data) == envelope.encode(kind, id, data)


def test_message_envelope_is_built_alike_in_lua_and_python(redis_sync: redis.Redis) -> None:
    body = '"room":"r","text":"a\\nb"}'
    built = lua(redis_sync, "message_envelope(ARGV[1], tonumber(ARGV[2]), ARGV[3])", "5-1", "12", body)
    assert built == envelope.encode_message("5-1", "12", body)
    assert envelope.decode("r", built).data == '{"id":"5-1","ts":5,"n":12,' + body


def test_read_position_json(redis_sync: redis.Redis) -> None:
    built = lua(redis_sync, "read_position(ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4])", "ü", "5-1", "3", "r")
    assert json.loads(built) == {"user": "ü", "id": "5-1", "n": 3, "room": "r"}


def test_every_script_loads_in_redis(redis_sync: redis.Redis) -> None:
    for path in sorted((scripts._DIR).glob("*.lua")):
        if path.stem.endswith("_lib"):
            continue
        libs = ("presence_lib",) if path.stem.startswith("presence_") else ()
        assert redis_sync.script_load(scripts.source(path.stem, *libs))
