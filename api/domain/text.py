"""What free text (message text, room topics) may hold."""

from __future__ import annotations

import re

from api.domain.errors import Code, DomainError

# A JSON string may spell half of a surrogate pair ("\ud800"): not a character, and not encodable.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Control characters (C0, DEL, C1) but tab and newline: they show as nothing, or move the cursor,
# and each one costs six bytes of JSON (\u0000) in every copy of the message.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def check_unicode(value: str, field: str) -> str:
    """`value`, if it is Unicode text that can be encoded (no lone surrogates)."""
    found = _SURROGATE.search(value)
    if found is not None:
        raise DomainError(
            Code.INVALID_ENCODING,
            f"{field} holds a lone surrogate (\\u{ord(found.group()):04x} at {found.start()}): not valid Unicode",
        )
    return value


def check_plain(value: str, field: str) -> str:
    """`value`, if it is Unicode text with no control characters other than newline and tab."""
    check_unicode(value, field)
    found = _CONTROL.search(value)
    if found is not None:
        raise DomainError(
            Code.CONTROL_CHARACTER,
            f"{field} holds the control character U+{ord(found.group()):04X} at {found.start()}; "
            "only newline and tab are allowed",
        )
    return value
