"""The per-process access cache on its own: what it answers, and when it must not."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from api.broker import keys
from api.broker.access_cache import AccessCache
from api.domain.identity import Identity
from api.domain.rooms import Access

ADA = Identity(user_id="u-ada", name="ada", kind="user", sid="s-1")
BOB = Identity(user_id="u-bob", name="bob", kind="user", sid="s-2")
PUBLIC = Access(exists=True, private=False, member=False)
MEMBER = Access(exists=True, private=True, member=True)
OUTSIDER = Access(exists=True, private=True, member=False)


def filled(cache: AccessCache, who: Identity | None, access: dict[str, Access], newest: int | None = 5) -> None:
    reading = cache.begin(tuple(access))
    key = (newest, 0) if newest is not None else None
    cache.fill(reading, who, True, access, dict.fromkeys(access, key))
    cache.end(reading)


def test_an_empty_cache_knows_nothing() -> None:
    assert AccessCache().lookup(("general",), None, {}) is None


def test_a_public_room_read_once_answers_everyone_starting_at_its_newest_id() -> None:
    cache = AccessCache()
    filled(cache, ADA, {"general": PUBLIC})
    for who in (None, ADA):
        hit = cache.lookup(("general",), who, {"general": None})
        assert hit is not None
        alive, found = hit
        assert alive is (who is not None)
        assert found.access == {"general": PUBLIC}
        assert found.newest == {"general": (5, 0)}
    assert cache.lookup(("general",), None, {"general": (5, 0)}) is not None  # resumes: nothing to replay
    assert cache.lookup(("general",), None, {"general": (4, 0)}) is None  # a replay: from the stream
    assert cache.lookup(("general", "other"), None, {}) is None  # one room unknown: all read again
    assert cache.lookup(("general",), BOB, {}) is None  # bob's session was never read


def test_a_private_room_is_known_per_viewer() -> None:
    cache = AccessCache()
    filled(cache, ADA, {"secret": MEMBER})
    filled(cache, BOB, {"secret": OUTSIDER})
    assert cache.lookup(("secret",), ADA, {}) is not None
    hit = cache.lookup(("secret",), BOB, {})
    assert hit is not None and hit[1].access["secret"] == OUTSIDER
    hit = cache.lookup(("secret",), None, {})
    assert hit is not None and hit[1].access["secret"].member is False


def test_stored_events_heard_move_the_newest_id() -> None:
    cache = AccessCache()
    filled(cache, None, {"general": PUBLIC})
    cache.heard("general", (9, 1))
    cache.heard("general", (7, 0))  # an older id never moves it back
    hit = cache.lookup(("general",), None, {"general": (9, 1)})
    assert hit is not None and hit[1].newest == {"general": (9, 1)}


def test_events_heard_while_a_read_is_on_its_way_are_not_lost() -> None:
    # The read saw id 5; id 6 was published after it and heard before it came back: a client
    # starting "at the newest" must start at 6, or it would never get it.
    cache = AccessCache()
    reading = cache.begin(("general",))
    cache.heard("general", (6, 0))
    cache.fill(reading, None, True, {"general": PUBLIC}, {"general": (5, 0)})
    cache.end(reading)
    hit = cache.lookup(("general",), None, {})
    assert hit is not None and hit[1].newest == {"general": (6, 0)}


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.access_changed("secret"),
        lambda c: c.access_changed("elsewhere"),
        lambda c: c.session_ended("u-x", "s-x"),
        lambda c: c.let_go("secret"),
        lambda c: c.clear(),
    ],
    ids=["this room's access", "another room's access", "a session", "a channel let go", "the hub reconnecting"],
)
def test_a_read_overtaken_by_a_change_fills_nothing(change: Callable[[AccessCache], None]) -> None:
    cache = AccessCache()
    reading = cache.begin(("secret",))
    change(cache)
    cache.fill(reading, ADA, True, {"secret": MEMBER}, {"secret": (5, 0)})
    cache.end(reading)
    assert cache.lookup(("secret",), ADA, {}) is None


def test_an_access_change_drops_the_room() -> None:
    cache = AccessCache()
    filled(cache, ADA, {"secret": MEMBER, "general": PUBLIC})
    cache.access_changed("secret")
    assert cache.lookup(("secret",), ADA, {}) is None
    assert cache.lookup(("general",), ADA, {}) is not None


def test_an_ended_session_is_anonymous_from_then_on() -> None:
    cache = AccessCache()
    filled(cache, ADA, {"secret": MEMBER})
    cache.session_ended(ADA.user_id, ADA.sid)
    hit = cache.lookup(("secret",), ADA, {})
    assert hit is not None
    alive, found = hit
    assert alive is False and found.access["secret"].member is False
    other = Identity(user_id=ADA.user_id, name="ada", kind="user", sid="s-other")
    assert cache.lookup(("secret",), other, {}) is None  # another session of hers: not known


def test_what_no_event_announces_is_trusted_for_a_while_only() -> None:
    cache = AccessCache(trust_seconds=0.05)
    filled(cache, None, {"general": PUBLIC})
    filled(cache, ADA, {"lobby": PUBLIC})
    assert cache.lookup(("general",), None, {}) is not None
    assert cache.lookup(("lobby",), ADA, {}) is not None
    time.sleep(0.06)  # the trust itself is what is tested: it must lapse on the clock
    assert cache.lookup(("general",), None, {}) is None  # the room's keys may have been wiped
    assert cache.lookup(("lobby",), ADA, {}) is None  # her session may have lapsed


def test_letting_go_of_a_channel_forgets_what_it_kept() -> None:
    cache = AccessCache()
    filled(cache, ADA, {"general": PUBLIC})
    cache.let_go(keys.USER_ROOM + ADA.user_id)
    assert cache.lookup(("general",), ADA, {}) is None
    assert cache.lookup(("general",), None, {}) is not None
    cache.let_go("general")
    assert cache.lookup(("general",), None, {}) is None


def test_a_room_that_has_no_message_yet_starts_at_nothing() -> None:
    cache = AccessCache()
    filled(cache, None, {"new": Access(exists=False, private=False, member=False)}, newest=None)
    hit = cache.lookup(("new",), None, {})
    assert hit is not None and hit[1].newest == {"new": None}
    cache.heard("new", (1, 0))
    hit = cache.lookup(("new",), None, {})
    assert hit is not None and hit[1].newest == {"new": (1, 0)} and hit[1].access["new"].exists
