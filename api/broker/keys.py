"""Every Redis key and channel name the app uses, in one place."""

PREFIX = "chat:"
ROOMS = PREFIX + "rooms"
LIVE_PATTERN = PREFIX + "live:*"
LIVE_PREFIX = PREFIX + "live:"


def stream(room: str) -> str:
    return f"{PREFIX}stream:{room}"


def live(room: str) -> str:
    return LIVE_PREFIX + room


def idempotency(room: str, client_id: str) -> str:
    return f"{PREFIX}idem:{room}:{client_id}"
