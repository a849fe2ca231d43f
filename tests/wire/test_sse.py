import pytest

from api.wire import sse


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"data": "hi"}, b"data: hi\n\n"),
        ({"data": "hi", "event": "message"}, b"event: message\ndata: hi\n\n"),
        ({"data": "{}", "event": "message", "id": "1-0"}, b"event: message\nid: 1-0\ndata: {}\n\n"),
        ({"data": "a\nb"}, b"data: a\ndata: b\n\n"),
        ({"data": "a\r\nb\rc"}, b"data: a\ndata: b\ndata: c\n\n"),
        ({"data": ""}, b"data: \n\n"),
        ({"data": "é✓"}, "data: é✓\n\n".encode()),
    ],
)
def test_frame(kwargs: dict[str, str], expected: bytes) -> None:
    assert sse.frame(**kwargs) == expected


@pytest.mark.parametrize("bad", ["1\n2", "1\r", "a\0"])
def test_frame_refuses_ids_that_break_framing(bad: str) -> None:
    with pytest.raises(ValueError):
        sse.frame("x", id=bad)


def test_split_frame_round_trips_with_any_id() -> None:
    head, tail = sse.split_frame('{"a":1}', "message")
    assert head + sse.id_line("r:1-0") + tail == sse.frame('{"a":1}', event="message", id="r:1-0")


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: sse.retry(1000), b"retry: 1000\n\n"),
        (lambda: sse.comment("ping"), b": ping\n\n"),
        (lambda: sse.comment(""), b":\n\n"),
        (lambda: sse.comment("a\nb"), b": a\n: b\n\n"),
    ],
)
def test_control_frames(call, expected: bytes) -> None:
    assert call() == expected
