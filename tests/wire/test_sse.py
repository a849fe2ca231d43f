import pytest

from api.wire import sse


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"data": "hi"}, b"data: hi\n\n"),
        ({"data": "hi", "event": "message"}, b"event: message\ndata: hi\n\n"),
        ({"data": "{}", "event": "message", "id": "1-0"}, b"id: 1-0\nevent: message\ndata: {}\n\n"),
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
    with pytest.raises(ValueError):
        sse.with_id(bad, sse.frame("x"))


def test_a_frame_given_its_id_later_is_the_same_bytes() -> None:
    assert sse.with_id("r:1-0", sse.frame('{"a":1}', event="message")) == sse.frame(
        '{"a":1}', event="message", id="r:1-0"
    )


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: sse.retry(1000), b"retry: 1000\n\n"),
        (lambda: sse.comment("ping"), b": ping\n\n"),
        (lambda: sse.comment(""), b": \n\n"),
        (lambda: sse.comment("a\nb"), b": a\n: b\n\n"),
    ],
)
def test_control_frames(call, expected: bytes) -> None:
    assert call() == expected
