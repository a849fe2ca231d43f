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
    expression = "message_envelope(ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4])"
    built = lua(redis_sync, expression, "5-1", "12", "Zoë", body)
    assert built == envelope.encode_message("5-1", "12", "Zoë", body)
    assert envelope.decode("r", built).data == '{"id":"5-1","ts":5,"n":12,"user":"Zoë",' + body


def test_read_position_json(redis_sync: redis.Redis) -> None:
    expression = "read_position(ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5])"
    built = lua(redis_sync, expression, "id-1", "ü", "5-1", "3", "r")
    assert json.loads(built) == {"user_id": "id-1", "user": "ü", "id": "5-1", "n": 3, "room": "r"}


def test_every_script_loads_in_redis(redis_sync: redis.Redis) -> None:
    for path in sorted((scripts._DIR).glob("*.lua")):
        if path.stem.endswith("_lib"):
            continue
        libs = ("presence_lib",) if path.stem.startswith("presence_") else ()
        assert redis_sync.script_load(scripts.source(path.stem, *libs))
