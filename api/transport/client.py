"""Who is on the other end of a request or WebSocket: its address, and whether it came over TLS.

Behind a proxy (Vercel's edge, a load balancer, nginx) the socket's peer is the proxy, and a
proxy that ends TLS talks plain http to the app. With `TRUST_PROXY` set, the proxy's headers say
who the client is: `X-Forwarded-For` (its right-most entry, the one the proxy appended; entries
to its left came from the client and prove nothing) and `X-Forwarded-Proto`. Without it they are
ignored, since any client can send them. Set it only when every request reaches the app through
that proxy, or anyone can name any address by sending the header directly.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection
from starlette.types import Scope

UNKNOWN = "unknown"


def client_address(conn: HTTPConnection) -> str:
    """The address of the client that sent this request or opened this WebSocket: the key for
    per-address limits (sign-ins, room creation, open streams).

    With `TRUST_PROXY`, the right-most `X-Forwarded-For` entry (several header lines count as one
    list, in order); when the header is missing or that entry is not an address, the socket's
    peer. Without it, always the socket's peer. An IP address in normal form (IPv4-mapped IPv6 as
    IPv4, a port dropped), else what the server named the peer, or "unknown" when it named none.
    An IPv6 client may hold a whole /64: a limit may want to key on that network instead.
    """
    return address_of(conn.scope, _trusts_proxy(conn))


def client_is_https(conn: HTTPConnection) -> bool:
    """Whether the client reached us over TLS (https, wss): from `X-Forwarded-Proto` with
    `TRUST_PROXY`, else the scheme of the connection the server accepted."""
    return is_https(conn.scope, _trusts_proxy(conn))


def address_of(scope: Scope, trust_proxy: bool) -> str:
    if trust_proxy:
        forwarded = _ip(_last_entry(scope, b"x-forwarded-for"))
        if forwarded is not None:
            return forwarded
    peer = scope.get("client")
    if not peer:
        return UNKNOWN
    return _ip(str(peer[0])) or str(peer[0])


def is_https(scope: Scope, trust_proxy: bool) -> bool:
    if trust_proxy:
        proto = _last_entry(scope, b"x-forwarded-proto").lower()
        if proto in ("https", "wss", "http", "ws"):
            return proto in ("https", "wss")
    return scope.get("scheme") in ("https", "wss")


def _trusts_proxy(conn: HTTPConnection) -> bool:
    # The lifespan puts the settings in the state of every request and WebSocket.
    return bool(conn.state.settings.trust_proxy)


def _last_entry(scope: Scope, name: bytes) -> str:
    """The right-most entry of a comma-separated header, however many lines it came in."""
    last = ""
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            last = value.decode("latin-1").rsplit(",", 1)[-1].strip()
    return last


def _ip(text: str) -> str | None:
    """`text` as an IP address in normal form, or None. Takes `1.2.3.4:80` and `[::1]:80` too."""
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)
