"""What free text (messages, topics, passwords) may hold."""

from __future__ import annotations

import re

from api.domain.errors import Code, DomainError

# A JSON string may spell half of a surrogate pair ("\ud800"): not a character, and not encodable.
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_unicode(value: str, field: str) -> str:
    """`value`, if it is Unicode text that can be encoded (no lone surrogates)."""
    found = _SURROGATE.search(value)
    if found is not None:
        raise DomainError(
            Code.INVALID_ENCODING,
            f"{field} holds a lone surrogate (\\u{ord(found.group()):04x} at {found.start()}): not valid Unicode",
        )
    return value
