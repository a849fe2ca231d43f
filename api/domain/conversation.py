"""What the conversation around messages may hold: reactions, mentions, who may change what."""

from __future__ import annotations

import re

import emoji as emoji_data

from api.domain.errors import Code, DomainError
from api.domain.identity import NAME, RESERVED, name_key

# Distinct emoji one message may carry.
MAX_REACTIONS = 20
# Names looked up per message: a text cannot make a send read more than this.
MAX_MENTIONS = 20
# The longest emoji (family and flag sequences) are a dozen code points; anything longer is text.
_EMOJI_MAX_CHARS = 16
# "@name" not inside a word or an address (a@b.c); names are 1-32 of letters, digits, _ . -
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_.-]{1,32})")


def check_emoji(value: str) -> str:
    """One emoji: a single grapheme that is an emoji (with its skin tone, joiners, flags...), in
    its fully-qualified form, so that ❤ and ❤️ are one reaction."""
    if not 0 < len(value) <= _EMOJI_MAX_CHARS or not emoji_data.is_emoji(value):
        shown = value[:_EMOJI_MAX_CHARS]
        raise DomainError(Code.INVALID_EMOJI, f"a reaction is one emoji, like 👍; {shown!r} is not one")
    qualified = emoji_data.emojize(emoji_data.demojize(value))
    return qualified if emoji_data.is_emoji(qualified) else value


def mentioned_names(text: str) -> list[str]:
    """The name keys `@name` spells in `text`, in order, each once (at most MAX_MENTIONS). A name
    at the end of a sentence ("@ada.") is looked up as written and without its final dots."""
    found: dict[str, None] = {}
    for match in _MENTION.finditer(text):
        raw = match.group(1)
        for name in (raw, raw.rstrip(".-")):
            if NAME.fullmatch(name) and name.lower() not in RESERVED:
                found[name_key(name)] = None
        if len(found) >= MAX_MENTIONS:
            break
    return list(found)[:MAX_MENTIONS]
