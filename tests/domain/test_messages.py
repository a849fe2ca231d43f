import pytest

from api.domain.errors import Code, DomainError
from api.domain.messages import check_message_id, check_room


@pytest.mark.parametrize("good", ["1700000000000-0", "5-12"])
def test_full_message_ids(good: str) -> None:
    assert check_message_id(good) == good


@pytest.mark.parametrize("bad", ["5", "05-1", "abc", "1-2-3", ""])
def test_partial_or_malformed_message_ids(bad: str) -> None:
    with pytest.raises(DomainError) as err:
        check_message_id(bad)
    assert err.value.code is Code.INVALID_CURSOR


@pytest.mark.parametrize(
    ("room", "ok"), [("general", True), ("a-b_9", True), ("A", False), ("", False), ("x" * 65, False)]
)
def test_room_names(room: str, ok: bool) -> None:
    if ok:
        assert check_room(room) == room
    else:
        with pytest.raises(DomainError):
            check_room(room)
