"""What opening a stream read from Redis, kept per process, so that a reconnect storm is not a
Redis storm: each room's access for each viewer and the newest id its stream holds, and which
sessions are alive.

An entry is only as good as the subscriber that keeps it: it is filled from a read made while
the hub already heard the room's (or the account's) channel, then kept by what that channel
carries: every stored event moves the room's newest id, an access change drops the room's
entries, an ended session is remembered as ended. Anything that may have been missed (the hub
lost Redis, a room's channel was let go on a Redis Cluster, a slot moved) drops what it covered.
A read that a change overtook (the change was heard while the read was on its way) fills
nothing: `changes` counts every such change, and a read fills only if it did not move.

What changes unannounced is trusted for `trust_seconds` at most: a session that lapses by its
key's expiry (an idle guest; the token's own expiry is checked on every connect regardless), and
a room whose keys were deleted by hand or wiped with the whole store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from api.broker import keys
from api.domain.identity import Identity
from api.domain.rooms import Access
from api.wire.ids import StreamKey

ROOMS_KEPT = 10_000
ENDED_KEPT = 10_000


@dataclass(slots=True)
class _Room:
    exists: bool
    private: bool
    newest: StreamKey | None
    until: float  # trusted until (monotonic clock)
    members: dict[str, bool] = field(default_factory=dict)  # private rooms: viewer's id -> member


@dataclass(frozen=True, slots=True)
class Hit:
    """A connect answered from the cache: the viewer's access and newest id in each room."""

    access: dict[str, Access]
    newest: dict[str, StreamKey | None]


@dataclass(slots=True)
class Reading:
    """A read from Redis on its way: what the cache looked like when it was sent."""

    changes: int
    rooms: tuple[str, ...]


class AccessCache:
    def __init__(self, trust_seconds: float = 30.0) -> None:
        self._trust_seconds = trust_seconds
        self._rooms: dict[str, _Room] = {}
        self._alive: dict[str, dict[str, float]] = {}  # user id -> session id -> trusted until
        self._ended: dict[tuple[str, str], None] = {}  # sessions known to be over, oldest first
        self._in_flight: dict[str, int] = {}  # room -> reads of it on their way
        self._heard: dict[str, StreamKey] = {}  # room read in flight -> newest id heard meanwhile
        self.changes = 0

    def lookup(
        self, rooms: tuple[str, ...], who: Identity | None, starts: dict[str, StreamKey | None]
    ) -> tuple[bool, Hit] | None:
        """Whether `who`'s session is alive and each room's access, if the cache knows all of it
        and no room needs a replay (a client resuming from its room's newest id needs none)."""
        alive = False
        now = time.monotonic()
        if who is not None:
            if (who.user_id, who.sid) in self._ended:
                alive = False
            else:
                until = self._alive.get(who.user_id, {}).get(who.sid)
                if until is None or until < now:
                    return None
                alive = True
        viewer = who.user_id if alive and who is not None else ""
        access: dict[str, Access] = {}
        newest: dict[str, StreamKey | None] = {}
        for room in rooms:
            entry = self._rooms.get(room)
            if entry is None or entry.until < now:
                return None
            after = starts.get(room)
            if after is not None and after != entry.newest:
                return None
            member = False
            if entry.private and viewer:
                known = entry.members.get(viewer)
                if known is None:
                    return None
                member = known
            access[room] = Access(exists=entry.exists, private=entry.private, member=member)
            newest[room] = entry.newest
        return alive, Hit(access, newest)

    def begin(self, rooms: tuple[str, ...]) -> Reading:
        for room in rooms:
            self._in_flight[room] = self._in_flight.get(room, 0) + 1
        return Reading(self.changes, rooms)

    def end(self, reading: Reading) -> None:
        for room in reading.rooms:
            left = self._in_flight.get(room, 1) - 1
            if left:
                self._in_flight[room] = left
            else:
                self._in_flight.pop(room, None)
                self._heard.pop(room, None)

    def fill(
        self,
        reading: Reading,
        who: Identity | None,
        alive: bool,
        access: dict[str, Access],
        newest: dict[str, StreamKey | None],
    ) -> None:
        """Keeps what a read found, unless a change was heard while it was on its way."""
        if reading.changes != self.changes:
            return
        until = time.monotonic() + self._trust_seconds
        if who is not None:
            if alive:
                self._alive.setdefault(who.user_id, {})[who.sid] = until
            else:
                self._end_session(who.user_id, who.sid)
        viewer = who.user_id if alive and who is not None else ""
        for room, seen in access.items():
            heard = self._heard.get(room)
            last = newest[room]
            if heard is not None and (last is None or heard > last):
                last = heard
            entry = self._rooms.get(room)
            if entry is None:
                while len(self._rooms) >= ROOMS_KEPT:
                    del self._rooms[next(iter(self._rooms))]
                entry = self._rooms[room] = _Room(seen.exists, seen.private, last, until)
            else:
                entry.until = until
                if last is not None and (entry.newest is None or last > entry.newest):
                    entry.newest = last
            if seen.private and viewer:
                entry.members[viewer] = seen.member

    def heard(self, room: str, key: StreamKey) -> None:
        """A stored event of `room` went by on its channel."""
        entry = self._rooms.get(room)
        if entry is not None and (entry.newest is None or key > entry.newest):
            entry.newest = key
            entry.exists = True  # a message to a new public room's name creates it
        if room in self._in_flight:
            seen = self._heard.get(room)
            if seen is None or key > seen:
                self._heard[room] = key

    def access_changed(self, room: str) -> None:
        self.changes += 1
        self._rooms.pop(room, None)

    def session_ended(self, user_id: str, sid: str) -> None:
        self.changes += 1
        self._end_session(user_id, sid)

    def let_go(self, channel: str) -> None:
        """The hub no longer hears `channel` (a room's, or USER_ROOM + an account's id)."""
        self.changes += 1
        if channel.startswith(keys.USER_ROOM):
            self._alive.pop(channel[len(keys.USER_ROOM) :], None)
        else:
            self._rooms.pop(channel, None)

    def clear(self) -> None:
        """The hub may have missed anything: nothing it kept is trusted any more."""
        self.changes += 1
        self._rooms.clear()
        self._alive.clear()

    def _end_session(self, user_id: str, sid: str) -> None:
        sessions = self._alive.get(user_id)
        if sessions is not None:
            sessions.pop(sid, None)
            if not sessions:
                del self._alive[user_id]
        self._ended[(user_id, sid)] = None
        while len(self._ended) > ENDED_KEPT:
            del self._ended[next(iter(self._ended))]
