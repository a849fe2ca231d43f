import pytest

from api.wire import events
from api.wire.events import HEARTBEAT, Event

MESSAGE = '{"id":"5-1","ts":5,"room":"r","user":"u","text":"hi"}'


@pytest.mark.parametrize(
    ("event", "sse", "ws"),
    [
        (
            Event("r", "message", MESSAGE, "5-1"),
            b"id: 5-1\nevent: message\ndata: " + MESSAGE.encode() + b"\n\n",
            '{"type":"message","id":"5-1","ts":5,"room":"r","user":"u","text":"hi"}',
        ),
        (
            Event("r", "typing", '{"user":"u"}'),
            b'event: typing\ndata: {"user":"u"}\n\n',
            '{"type":"typing","user":"u"}',
        ),
        (Event("r", "ping", "{}"), b"event: ping\ndata: {}\n\n", '{"type":"ping"}'),
        (
            events.marker("r", "ready", (3, 0)),
            b'id: 3-0\nevent: ready\ndata: {"room":"r","id":"3-0"}\n\n',
            '{"type":"ready","room":"r","id":"3-0"}',
        ),
        (HEARTBEAT, b": ping\n\n", '{"type":"heartbeat"}'),
    ],
)
def test_event_encodings(event: Event, sse: bytes, ws: str) -> None:
    assert event.sse() == sse
    assert event.ws() == ws
    assert event.sse() is event.sse()  # encoded once, then shared by every client


def test_markers_move_position_without_a_dedup_key() -> None:
    assert events.marker("r", "ready", (3, 0)).key is None
    assert Event("r", "message", "{}", "3-0").key == (3, 0)


@pytest.mark.parametrize(
    ("event", "ws"),
    [
        (events.ack("c-1", "5-1", MESSAGE), '{"type":"ack","id":"5-1","client_id":"c-1","message":' + MESSAGE + "}"),
        (events.ack(None, "5-1", MESSAGE), '{"type":"ack","id":"5-1","client_id":null,"message":' + MESSAGE + "}"),
        (
            events.signal("error", code="x", message="é"),
            '{"type":"error","code":"x","message":"é"}',
        ),
    ],
)
def test_frames_for_one_websocket_client(event: Event, ws: str) -> None:
    assert event.ws() == ws
