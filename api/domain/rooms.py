"""Who may read and change a room."""

from __future__ import annotations

from dataclasses import dataclass

from api.domain.errors import Code, DomainError
from api.domain.identity import Identity
from api.domain.text import check_plain

# The room every client opens first: nobody may lock the others out of it.
ALWAYS_PUBLIC = frozenset({"general"})


@dataclass(frozen=True)
class Access:
    """What the store knows of a room for one person."""

    exists: bool
    private: bool
    member: bool
    creator: bool = False


def check_topic(topic: str) -> str:
    return check_plain(topic, "topic").strip()


def require_read(room: str, access: Access, who: Identity | None) -> None:
    """Private rooms are for their members only; everything else is public."""
    if access.private and not access.member:
        if who is None:
            raise DomainError(Code.SIGN_IN_REQUIRED, f"room {room!r} is private: sign in as a member")
        raise DomainError(Code.NOT_A_MEMBER, f"room {room!r} is private and you are not a member")


def require_can_create(room: str, private: bool) -> None:
    if private and room in ALWAYS_PUBLIC:
        raise DomainError(Code.ROOM_EXISTS, f"room {room!r} is everyone's and cannot be private")


def require_can_add_member(room: str, access: Access) -> None:
    if not access.exists:
        raise DomainError(Code.NO_SUCH_ROOM, f"room {room!r} does not exist")
    if not access.private:
        raise DomainError(Code.PUBLIC_ROOM, f"room {room!r} is public: anyone can join it already")
    if not access.member:
        raise DomainError(Code.NOT_A_MEMBER, f"only members of {room!r} can add members")


def require_can_remove(room: str, access: Access, who: Identity, user_id: str, admin: bool) -> None:
    """Anyone may leave; the room's creator or an admin may remove others."""
    if not access.exists:
        raise DomainError(Code.NO_SUCH_ROOM, f"room {room!r} does not exist")
    if not access.private:
        raise DomainError(Code.PUBLIC_ROOM, f"room {room!r} is public: it has no members to leave or remove")
    if user_id != who.user_id and not access.creator and not admin:
        raise DomainError(Code.NOT_ALLOWED, f"only the creator of {room!r} or an admin can remove its members")


def readable_after(change: dict[str, object], viewer: str | None) -> bool | None:
    """Whether someone (`viewer`: an account id, None when anonymous) may still read a room
    after an access change announced on its channel; None when the change is not about them."""
    if change.get("private") is True:
        members = change.get("members")
        return viewer is not None and isinstance(members, list) and viewer in members
    if viewer is not None and change.get("removed") == viewer:
        return False
    return None
