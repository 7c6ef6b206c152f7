"""Which browser origins may open a connection: Socket.IO's and Flet's own `/ws`.

Only requests that carry an Origin header are checked, so bots, consoles and the desktop client
(which send none) are unaffected; a browser always sends one. A browser may connect from the
server's own host (any scheme: behind a TLS proxy the scheme the server sees is not the
browser's) or from a configured origin. The host is the Host header or, from a trusted proxy, the
X-Forwarded-Host (api/forwarded.py removes that header from anyone else's requests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

OriginCheck = Callable[[str | None, Iterable[str]], bool]


def origin_policy(allowed: Iterable[str]) -> OriginCheck:
    """`check(origin, hosts)`: whether a request from `origin` to one of `hosts` may connect."""
    configured = frozenset(o.rstrip("/").lower() for o in allowed)

    def check(origin: str | None, hosts: Iterable[str]) -> bool:
        if not origin:
            return True
        origin = origin.rstrip("/").lower()
        if origin in configured:
            return True
        host = urlsplit(origin).netloc
        served = {h.split(",")[0].strip().lower() for h in hosts if h}
        return bool(host) and host in served

    return check


def origin_checker(allowed: Iterable[str]) -> Callable[[str | None, Mapping[str, Any]], bool]:
    """The check in the form Engine.IO's `cors_allowed_origins` calls (origin, WSGI environ)."""
    check = origin_policy(allowed)

    def is_allowed(origin: str | None, environ: Mapping[str, Any]) -> bool:
        hosts = (environ.get("HTTP_HOST", ""), environ.get("HTTP_X_FORWARDED_HOST", ""))
        return check(origin, hosts)

    return is_allowed
