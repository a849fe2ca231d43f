"""The Lua half of the wire formats, run by a real Redis, against the Python half."""

import json

import pytest
import redis

from api.broker import scripts
from api.broker.connection import commands_client
from api.wire import envelope, message


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
        if path.stem in ("edit", "delete", "react"):
            libs = ("change_lib",)
        assert redis_sync.script_load(scripts.source(path.stem, *libs))


@pytest.mark.parametrize(
    "text",
    [
        "short",
        'a "quoted" \\ back/slash\n\ttab',
        "é" * 140,
        "é" * 141,
        "x" * 139 + "👍🏽",
        "👍" * 200,
        "日本語のテキスト" * 30,
    ],
)
def test_the_reply_quote_is_built_alike_in_lua_and_python(redis_sync: redis.Redis, text: str) -> None:
    expression = "with_reply(ARGV[5], reply_quote(ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[6])))"
    body = message.body(room="r", user_id="me", text="answer")
    built = lua(redis_sync, expression, "5-1", "u/1", "Zoë", text, body, str(message.QUOTE_CHARS))
    quote = message.reply_quote("5-1", "u/1", "Zoë", text)
    assert built == message.with_reply(body, quote)
    shown = json.loads("{" + built)["reply_to"]
    assert shown == {"id": "5-1", "user_id": "u/1", "user": "Zoë", "text": shown["text"]}
    assert shown["text"] == (text if len(text) <= message.QUOTE_CHARS else text[: message.QUOTE_CHARS] + "…")


async def test_a_script_is_loaded_again_once_redis_forgot_it(redis_url: str) -> None:
    client = commands_client(redis_url, 2)
    try:
        script = scripts.Script(client, "return {#KEYS, #ARGV, KEYS[1], ARGV[1]}")
        assert await script(keys=["k"], args=["a"]) == [1, 1, "k", "a"]
        await client.script_flush()  # as a restarted Redis would
        assert await script(keys=["k2"], args=["b", "c"]) == [1, 2, "k2", "b"]
        assert await script() == [0, 0]
    finally:
        await client.aclose()
