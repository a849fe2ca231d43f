import pytest

from api.wire.events import Event, decode_envelope, encode_envelope, format_stream_id, parse_stream_id

MESSAGE = '{"id":"5-1","ts":5,"room":"r","user":"u","text":"hi"}'


@pytest.mark.parametrize(
    ("text", "key"),
    [("0", (0, 0)), ("0-0", (0, 0)), ("1700000000000-3", (1700000000000, 3)), ("12", (12, 0))],
)
def test_parse_stream_id(text: str, key: tuple[int, int]) -> None:
    assert parse_stream_id(text) == key


@pytest.mark.parametrize("bad", ["", "-", "1-", "a-1", "1-2-3", " 1", "1.5", "9" * 21])
def test_parse_stream_id_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="not a stream id"):
        parse_stream_id(bad)


def test_format_stream_id() -> None:
    assert format_stream_id((17, 2)) == "17-2"


def test_stream_ids_order_numerically_not_as_text() -> None:
    assert parse_stream_id("9-0") < parse_stream_id("10-0") < parse_stream_id("10-1")


@pytest.mark.parametrize(
    ("event", "sse", "ws"),
    [
        (
            Event("r", "message", MESSAGE, "5-1"),
            b"event: message\nid: 5-1\ndata: " + MESSAGE.encode() + b"\n\n",
            '{"type":"message","id":"5-1","ts":5,"room":"r","user":"u","text":"hi"}',
        ),
        (
            Event("r", "typing", '{"user":"u"}'),
            b'event: typing\ndata: {"user":"u"}\n\n',
            '{"type":"typing","user":"u"}',
        ),
        (Event("r", "ping", "{}"), b"event: ping\ndata: {}\n\n", '{"type":"ping"}'),
        (
            Event("r", "ready", '{"id":"3-0"}', "3-0", marker=True),
            b'event: ready\nid: 3-0\ndata: {"id":"3-0"}\n\n',
            '{"type":"ready","id":"3-0"}',
        ),
    ],
)
def test_event_encodings(event: Event, sse: bytes, ws: str) -> None:
    assert event.sse() == sse
    assert event.ws() == ws
    assert event.sse() is event.sse()  # encoded once, then shared by every client


def test_markers_move_position_without_a_dedup_key() -> None:
    assert Event("r", "ready", "{}", "3-0", marker=True).key is None
    assert Event("r", "message", "{}", "3-0").key == (3, 0)


def test_envelope_round_trip() -> None:
    event = decode_envelope("room-1", encode_envelope("message", "5-1", MESSAGE))
    assert (event.room, event.kind, event.id, event.key, event.data) == ("room-1", "message", "5-1", (5, 1), MESSAGE)
    assert decode_envelope("r", encode_envelope("typing", "", "{}")).id is None


def test_envelope_matches_what_the_send_script_publishes() -> None:
    assert encode_envelope("message", "5-1", MESSAGE) == "message\n5-1\n" + MESSAGE
