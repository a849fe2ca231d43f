"""Every Redis key and channel name the app uses, in one place (layout 2, see layout.py).

Each room's keys share the hash tag {r:ROOM} and each account's keys {u:USER_ID}, so that on a
Redis Cluster each room and each account sits in one slot.
"""

PREFIX = "chat:"
LAYOUT = PREFIX + "layout"
LAYOUT_VERSION = 2
ROOMS = PREFIX + "rooms"
SECRET = PREFIX + "secret"
ROOM_LIVE_PATTERN = PREFIX + "{r:*}:live"
USER_LIVE_PATTERN = PREFIX + "{u:*}:live"
# A user's own channel reaches the hub as a pseudo-room of this prefix (room names hold no '~').
USER_ROOM = "~u:"


def _room(room: str, part: str) -> str:
    return f"{PREFIX}{{r:{room}}}:{part}"


def _user(user_id: str, part: str) -> str:
    return f"{PREFIX}{{u:{user_id}}}:{part}"


def stream(room: str) -> str:
    return _room(room, "stream")


def live(room: str) -> str:
    return _room(room, "live")


def room(room: str) -> str:
    return _room(room, "meta")


def members(room: str) -> str:
    return _room(room, "members")


def presence(room: str) -> str:
    return _room(room, "presence")


def reads(room: str) -> str:
    return _room(room, "reads")


def edits(room: str) -> str:
    """Changed messages as they now are (api.wire.changes): message id -> state, "id:r" -> reactions."""
    return _room(room, "edits")


def edited(room: str) -> str:
    """The ids of changed messages by time, to forget a state once its message is trimmed."""
    return _room(room, "edited")


def mentions(room: str, user_id: str) -> str:
    """The messages of a room mentioning someone (scored by their number `n`)."""
    return _room(room, f"mentions:{user_id}")


def mentions_prefix(room: str) -> str:
    return _room(room, "mentions:")


def typing(room: str, user_id: str) -> str:
    return _room(room, f"typing:{user_id}")


def idempotency(room: str, client_key: str) -> str:
    return _room(room, f"idem:{client_key}")


def account(user_id: str) -> str:
    return _user(user_id, "account")


def sessions(user_id: str) -> str:
    return _user(user_id, "sessions")


def send_rate(user_id: str) -> str:
    return _user(user_id, "rate:send")


def room_create_rate(user_id: str) -> str:
    return _user(user_id, "rate:rooms")


def user_live(user_id: str) -> str:
    return _user(user_id, "live")


def name(name_key: str) -> str:
    """The account id that holds a display name (compared without case)."""
    return f"{PREFIX}name:{name_key}"


def login_attempts(name_key: str) -> str:
    return f"{PREFIX}rate:login:{name_key}"


def address_rate(kind: str, address: str) -> str:
    return f"{PREFIX}rate:{kind}:addr:{address}"


def room_of_channel(channel: str) -> str:
    """The room (or USER_ROOM + user id) a live channel belongs to."""
    tag = channel[len(PREFIX) + 1 : -len("}:live")]
    kind, _, name = tag.partition(":")
    return name if kind == "r" else USER_ROOM + name


# Uploads not yet attached, by the time they expire: their blobs are deleted after them.
FILES_PENDING = PREFIX + "files:pending"


def file(room: str, file_id: str) -> str:
    """A file's metadata, in its room's slot (`file_id` is ROOM.TOKEN)."""
    return _room(room, f"file:{file_id}")


def file_rate(user_id: str) -> str:
    return _user(user_id, "rate:files")
