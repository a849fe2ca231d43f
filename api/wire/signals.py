"""The JSON of events that are never stored as messages: typing, read positions, presence."""

from __future__ import annotations

import json


def typing(room: str, user_id: str, user: str, expires_in_ms: int) -> str:
    return json.dumps(
        {"room": room, "user_id": user_id, "user": user, "expires_in_ms": expires_in_ms}, ensure_ascii=False
    )
