import pytest

from api.domain.conversation import MAX_MENTIONS, check_emoji, mentioned_names
from api.domain.errors import DomainError


@pytest.mark.parametrize("emoji", ["👍", "👍🏽", "❤️", "🇫🇷", "👨‍👩‍👧", "1️⃣", "🎉", "🏳️‍🌈"])
def test_one_emoji_is_a_reaction(emoji: str) -> None:
    assert check_emoji(emoji) == emoji


@pytest.mark.parametrize(("given", "kept"), [("❤", "❤️"), ("☺", "☺️"), ("🏳\u200d🌈", "🏳️\u200d🌈")])
def test_an_emoji_is_kept_fully_qualified(given: str, kept: str) -> None:
    assert check_emoji(given) == kept


@pytest.mark.parametrize("text", ["", "a", "ab", "👍👍", " 👍", "👍a", "1", ":+1:", "\u200d", "🇫"])
def test_anything_else_is_not(text: str) -> None:
    with pytest.raises(DomainError) as err:
        check_emoji(text)
    assert err.value.code == "invalid_emoji"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("hi @Ada and @bob!", ["ada", "bob"]),
        ("@ada @ADA", ["ada"]),
        ("thanks @a.b.", ["a.b.", "a.b"]),
        ("mail ada@example.org", []),
        ("@everyone look", []),
        ("@@x", []),
        ("(@carol)", ["carol"]),
    ],
)
def test_mentions_are_names_after_an_at(text: str, names: list[str]) -> None:
    assert mentioned_names(text) == names


def test_a_text_mentions_a_bounded_number_of_names() -> None:
    assert len(mentioned_names(" ".join(f"@n{i}" for i in range(100)))) == MAX_MENTIONS
