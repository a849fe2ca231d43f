import json

import pytest

from api.wire import changes, envelope, message


def test_a_change_arrives_live_as_the_json_a_replay_gives() -> None:
    tail = changes.edit("5-1", "r", "uid", "Zoë", "new/text", 7, ["b"])
    event = envelope.decode("r", envelope.encode("edit", "9-0", tail))
    assert (event.kind, event.id, event.key) == ("edit", "9-0", (9, 0))
    assert event.data == changes.change_json("9-0", tail)
    assert json.loads(event.data) == {
        "id": "9-0",
        "message": "5-1",
        "room": "r",
        "user_id": "uid",
        "user": "Zoë",
        "text": "new/text",
        "edited_ts": 7,
        "mentions": ["b"],
    }
    assert event.ws() == '{"type":"edit",' + event.data[1:]


@pytest.mark.parametrize("kind", ["edit", "delete", "reaction"])
def test_a_change_without_an_id_is_refused(kind: str) -> None:
    with pytest.raises(ValueError):
        envelope.decode("r", envelope.encode(kind, "", '"message":"5-1"}'))


FIELDS = {"n": "3", "u": "Ada", "m": message.body(room="r", user_id="a", text="hi @b", mentions=["b"])}


def test_a_message_as_it_now_is() -> None:
    assert message.current_json("5-1", FIELDS, "r") == message.from_entry("5-1", FIELDS)
    edited = json.loads(message.current_json("5-1", FIELDS, "r", changes.edited_state("hi", 9, [])))
    assert (edited["text"], edited["edited_ts"], "mentions" in edited, edited["n"]) == ("hi", 9, False, 3)
    reacted = json.loads(message.current_json("5-1", FIELDS, "r", None, '[["👍",["a","b"]],["🎉",["b"]]]'))
    assert list(reacted["reactions"].items()) == [("👍", ["a", "b"]), ("🎉", ["b"])]
    gone = message.current_json("5-1", FIELDS, "r", changes.DELETED_STATE, '[["👍",["a"]]]')
    assert json.loads(gone) == {"id": "5-1", "n": 3, "room": "r", "deleted": True}


def test_a_reply_whose_answered_message_was_deleted_keeps_only_its_id() -> None:
    fields = {**FIELDS, "m": message.with_reply(FIELDS["m"], message.reply_quote("4-0", "b", "Bob", "secret"))}
    shown = json.loads(message.current_json("5-1", fields, "r", reply_gone=True))
    assert shown["reply_to"] == {"id": "4-0", "deleted": True} and "secret" not in json.dumps(shown)
