"""Who is speaking: valid names, and the signed tokens that prove a name."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Literal

import jwt

from api.domain.errors import Code, DomainError

# Matched in full (fullmatch): `$` would also match before a trailing newline.
NAME = re.compile(r"[A-Za-z0-9_.-]{1,32}")
USER_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")
RESERVED = frozenset(
    {
        "admin",
        "administrator",
        "anonymous",
        "chat",
        "everyone",
        "guest",
        "here",
        "mod",
        "moderator",
        "null",
        "owner",
        "root",
        "server",
        "staff",
        "support",
        "system",
        "undefined",
    }
)
ALGORITHM = "HS256"
Kind = Literal["guest", "user"]
MIN_PASSWORD = 8
# The HS256 key: at least this long (secrets.token_urlsafe(32), as the README suggests, gives 43).
MIN_SECRET_CHARS = 32


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise DomainError(Code.INVALID_NAME, "name must be 1-32 characters of letters, digits, '-', '_' and '.'")
    if name.lower() in RESERVED:
        raise DomainError(Code.RESERVED_NAME, f"{name!r} is reserved; choose another name")
    return name


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise DomainError(Code.WEAK_PASSWORD, f"a password needs at least {MIN_PASSWORD} characters")
    return password


def name_key(name: str) -> str:
    """Names compare without case: 'Ada' and 'ada' are one person."""
    return name.lower()


@dataclass(frozen=True)
class Identity:
    """A signed-in person: the account (`user_id`, never reused), the session that proved it
    (`sid`), and the display name the account had then (names change; the id does not)."""

    user_id: str
    name: str
    kind: Kind
    sid: str

    @property
    def key(self) -> str:
        return name_key(self.name)


def new_user_id() -> str:
    return secrets.token_urlsafe(12)


def new_session_id() -> str:
    return secrets.token_urlsafe(12)


VERIFIED_MAX = 4096  # tokens remembered as verified per process (forgotten all at once when full)


class TokenSigner:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(f"a token signing secret needs at least {MIN_SECRET_CHARS} characters")
        self._secret = secret
        self._ttl = ttl_seconds
        # Tokens already verified, with their expiry: a client sends the same token with every
        # request, and checking its signature again is most of what a send costs before Redis.
        # Whether its session still exists is asked of Redis on every route, never cached here.
        self._verified: dict[str, tuple[Identity, int]] = {}

    def issue(self, who: Identity) -> tuple[str, int]:
        """A signed token for `who` and its expiry (epoch seconds)."""
        now = int(time.time())
        exp = now + self._ttl
        claims = {
            "sub": who.user_id,
            "name": who.name,
            "kind": who.kind,
            "sid": who.sid,
            "iat": now,
            "exp": exp,
            "typ": "access",
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), exp

    def verify(self, token: str) -> Identity:
        known = self._verified.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        who, exp = self._decode(token)
        if len(self._verified) >= VERIFIED_MAX:
            self._verified.clear()
        self._verified[token] = (who, exp)
        return who

    def _decode(self, token: str) -> tuple[Identity, int]:
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], options={"require": ["sub", "sid", "exp", "iat"]}
            )
        except jwt.ExpiredSignatureError:
            raise DomainError(Code.TOKEN_EXPIRED, "the token has expired; sign in again") from None
        except jwt.InvalidTokenError:
            raise DomainError(Code.INVALID_TOKEN, "the token is not valid; sign in again") from None
        kind, user_id, name, sid = claims.get("kind"), claims.get("sub"), claims.get("name"), claims.get("sid")
        exp = claims["exp"]
        if (
            claims.get("typ") != "access"
            or kind not in ("guest", "user")
            or not isinstance(user_id, str)
            or not USER_ID.fullmatch(user_id)
            or not isinstance(name, str)
            or not isinstance(sid, str)
            or not sid
            or not isinstance(exp, int)
        ):
            raise DomainError(Code.INVALID_TOKEN, "the token is not valid; sign in again")
        return Identity(user_id=user_id, name=name, kind=kind, sid=sid), exp
