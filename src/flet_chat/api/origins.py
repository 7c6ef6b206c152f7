"""Which browser origins may open a Socket.IO connection.

Engine.IO checks only requests that carry an Origin header, so bots and consoles (which send
none) are unaffected. A browser may connect from the server's own host (any scheme: behind a TLS
proxy the scheme the server sees is not the browser's) or from a configured origin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit


def origin_checker(allowed: Iterable[str]) -> Callable[[str | None, Mapping[str, Any]], bool]:
    configured = frozenset(o.rstrip("/").lower() for o in allowed)

    def is_allowed(origin: str | None, environ: Mapping[str, Any]) -> bool:
        if not origin:
            return True
        origin = origin.rstrip("/").lower()
        if origin in configured:
            return True
        hosts = {environ.get("HTTP_HOST", ""), environ.get("HTTP_X_FORWARDED_HOST", "")}
        host = urlsplit(origin).netloc
        return bool(host) and host in {h.split(",")[0].strip().lower() for h in hosts if h}

    return is_allowed
