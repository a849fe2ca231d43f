from collections.abc import Callable

import pytest

from api.domain.errors import Code, DomainError
from api.domain.identity import check_name
from api.domain.messages import check_client_id, check_message_id, check_room


@pytest.mark.parametrize("good", ["1700000000000-0", "5-12"])
def test_full_message_ids(good: str) -> None:
    assert check_message_id(good) == good


@pytest.mark.parametrize("bad", ["5", "05-1", "abc", "1-2-3", ""])
def test_partial_or_malformed_message_ids(bad: str) -> None:
    with pytest.raises(DomainError) as err:
        check_message_id(bad)
    assert err.value.code is Code.INVALID_CURSOR


@pytest.mark.parametrize(
    ("room", "ok"),
    [("general", True), ("a-b_9", True), ("A", False), ("", False), ("x" * 65, False), ("general\n", False)],
)
def test_room_names(room: str, ok: bool) -> None:
    if ok:
        assert check_room(room) == room
    else:
        with pytest.raises(DomainError):
            check_room(room)


@pytest.mark.parametrize(
    ("check", "value"),
    [(check_room, "general\n"), (check_name, "ada\n"), (check_name, "admin\n"), (check_client_id, "c-1\n")],
)
def test_a_trailing_newline_is_not_part_of_a_valid_value(check: Callable[[str], object], value: str) -> None:
    # `$` matches before a final newline: every pattern must match the whole value.
    with pytest.raises(DomainError):
        check(value)
