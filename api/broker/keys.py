"""Every Redis key and channel name the app uses, in one place."""

PREFIX = "chat:"
ROOMS = PREFIX + "rooms"
LIVE_PATTERN = PREFIX + "live:*"
LIVE_PREFIX = PREFIX + "live:"
SECRET = PREFIX + "secret"


def stream(room: str) -> str:
    return f"{PREFIX}stream:{room}"


def live(room: str) -> str:
    return LIVE_PREFIX + room


def idempotency(room: str, client_id: str) -> str:
    return f"{PREFIX}idem:{room}:{client_id}"


def room(room: str) -> str:
    return f"{PREFIX}room:{room}"


def members(room: str) -> str:
    return f"{PREFIX}members:{room}"


def presence(room: str) -> str:
    return f"{PREFIX}presence:{room}"


def reads(room: str) -> str:
    return f"{PREFIX}reads:{room}"


def typing(room: str, user_key: str) -> str:
    return f"{PREFIX}typing:{room}:{user_key}"


def user(user_key: str) -> str:
    return f"{PREFIX}user:{user_key}"


def guest(user_key: str) -> str:
    return f"{PREFIX}guest:{user_key}"


def send_rate(user_key: str) -> str:
    return f"{PREFIX}rate:send:{user_key}"


def login_failures(user_key: str) -> str:
    return f"{PREFIX}rate:login:{user_key}"
