import pytest

from api.wire.ids import format_positions, format_stream_id, parse_positions, parse_stream_id


@pytest.mark.parametrize(
    ("text", "key"),
    [("0", (0, 0)), ("0-0", (0, 0)), ("1700000000000-3", (1700000000000, 3)), ("12", (12, 0))],
)
def test_parse_stream_id(text: str, key: tuple[int, int]) -> None:
    assert parse_stream_id(text) == key


@pytest.mark.parametrize(
    "bad",
    ["", "-", "1-", "a-1", "1-2-3", " 1", "1.5", "9" * 21, "1-0\n", "9" * 20, "1-18446744073709551616", "\u0661-0"],
)
def test_parse_stream_id_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="not a stream id"):
        parse_stream_id(bad)


def test_the_largest_stream_id_redis_takes() -> None:
    # Each part is an unsigned 64-bit number: one more is not an id (Redis refuses it).
    top = "18446744073709551615"
    assert parse_stream_id(f"{top}-{top}") == (2**64 - 1, 2**64 - 1)


def test_format_stream_id() -> None:
    assert format_stream_id((17, 2)) == "17-2"


def test_stream_ids_order_numerically_not_as_text() -> None:
    assert parse_stream_id("9-0") < parse_stream_id("10-0") < parse_stream_id("10-1")


@pytest.mark.parametrize(
    ("text", "positions"),
    [("a:1-0", {"a": (1, 0)}), ("a:1-0,b-2:3-4", {"a": (1, 0), "b-2": (3, 4)})],
)
def test_positions_round_trip(text: str, positions: dict[str, tuple[int, int]]) -> None:
    assert parse_positions(text) == positions
    assert format_positions(positions) == text


@pytest.mark.parametrize("bad", ["a", ":1-0", "a:x", "a:1-0,"])
def test_positions_reject(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_positions(bad)
