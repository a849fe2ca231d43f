import json

import pytest

from api.wire import envelope, message


def test_the_message_json_is_the_entry_id_number_and_stored_body() -> None:
    body = message.body(room="r", user="ü", text='say "hi"\n')
    assert body == '"room":"r","user":"ü","text":"say \\"hi\\"\\n"}'
    text = message.message_json("1700000000000-2", "7", "", body)
    assert text == '{"id":"1700000000000-2","ts":1700000000000,"n":7,' + body
    assert json.loads(text) == {
        "id": "1700000000000-2",
        "ts": 1700000000000,
        "n": 7,
        "room": "r",
        "user": "ü",
        "text": 'say "hi"\n',
    }
    assert message.from_entry("1700000000000-2", {"n": "7", "m": body}) == text


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("plain", '"text":"plain"}'),
        ("naïve 😀 中文", '"text":"naïve 😀 中文"}'),  # as UTF-8, not \u escapes
        ("\x00\x1f\x7f", '"text":"\\u0000\\u001f\x7f"}'),
        ("\b\f\n\r\t", '"text":"\\b\\f\\n\\r\\t"}'),
        ('q"b\\s/', '"text":"q\\"b\\\\s/"}'),
        ("\u2028\u2029", '"text":"\u2028\u2029"}'),
    ],
)
def test_a_body_is_stored_byte_for_byte_as_the_json_clients_read(text: str, stored: str) -> None:
    assert message.body(text=text) == stored
    assert json.loads("{" + stored) == {"text": text}
    assert (
        message.message_json("5-1", "1", 'Zoë "z"', stored) == '{"id":"5-1","ts":5,"n":1,"user":"Zoë \\"z\\"",' + stored
    )


def test_what_is_left_of_a_trimmed_message() -> None:
    assert json.loads(message.trimmed_json("5-1", "r")) == {"id": "5-1", "ts": 5, "room": "r"}


def test_a_published_message_arrives_as_the_same_json_as_history_gives() -> None:
    body = message.body(room="r", user_id="abc", text="hi")
    event = envelope.decode("r", envelope.encode_message("5-1", "3", "Ada", body))
    assert (event.room, event.kind, event.id, event.key) == ("r", "message", "5-1", (5, 1))
    assert event.data == message.from_entry("5-1", {"n": "3", "u": "Ada", "m": body})
    expected = {"id": "5-1", "ts": 5, "n": 3, "user": "Ada", "room": "r", "user_id": "abc", "text": "hi"}
    assert json.loads(event.data) == expected


def test_signals_travel_without_an_id() -> None:
    event = envelope.decode("room-1", envelope.encode("typing", "", '{"user":"u"}'))
    assert (event.room, event.kind, event.id, event.key, event.data) == ("room-1", "typing", None, None, '{"user":"u"}')


@pytest.mark.parametrize("bad", ["", "message", "message\n5-1", "message\n5-1\nno-number-line", "message\nx\n1\n{}"])
def test_malformed_envelopes_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        envelope.decode("r", bad)
