"""Proxy headers believed only from the proxies in FORWARDED_ALLOW_IPS.

Uvicorn's ProxyHeadersMiddleware already ignores X-Forwarded-For and -Proto from anyone else,
but leaves every header in place, so code further in (Engine.IO's Origin check, the scheme it
reports) would still read a forged X-Forwarded-Host. This middleware removes the forwarding
headers of a request that did not come from a trusted proxy, then lets uvicorn's apply the rest.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

logger = logging.getLogger(__name__)

_FORWARDING = frozenset(
    {b"forwarded", b"x-forwarded-for", b"x-forwarded-host", b"x-forwarded-proto"}
)


class TrustedProxyHeaders:
    """`client_ip_header` names a header a trusted proxy sets to the client's address alone
    (Fly's `Fly-Client-IP`): then that is the client. With `FORWARDED_ALLOW_IPS=*` uvicorn takes
    the leftmost X-Forwarded-For entry, which the client writes itself, so such a header is the
    only safe source behind a proxy whose addresses are not known."""

    def __init__(self, app: ASGIApp, trusted: str, *, client_ip_header: str | None = None) -> None:
        self._proxy = ProxyHeadersMiddleware(app, trusted_hosts=trusted)  # type: ignore[arg-type]
        # The same judgement uvicorn makes for X-Forwarded-For: one list, one meaning.
        self._trusted: Any = self._proxy.trusted_hosts
        self._ip_header = client_ip_header.lower().encode() if client_ip_header else None
        self._stripped = _FORWARDING | ({self._ip_header} if self._ip_header else set())
        self._warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            headers = scope["headers"]
            if client is None or client[0] not in self._trusted:
                if any(name in self._stripped for name, _ in headers):
                    self._warn_once(client[0] if client else None)
                    scope = dict(scope)
                    scope["headers"] = [(n, v) for n, v in headers if n not in self._stripped]
            elif self._ip_header is not None:
                address = next((v for n, v in headers if n == self._ip_header), None)
                if address:
                    scope = dict(scope)
                    scope["client"] = (address.decode("latin-1").strip(), 0)
                    # The proxy's header names the client; X-Forwarded-For must not override it.
                    scope["headers"] = [(n, v) for n, v in headers if n != b"x-forwarded-for"]
        await self._proxy(scope, receive, send)  # type: ignore[arg-type]

    def _warn_once(self, peer: str | None) -> None:
        if not self._warned:
            self._warned = True
            logger.warning(
                "forwarding headers from %s, which FORWARDED_ALLOW_IPS does not trust, are"
                " ignored: if it is your proxy, every client looks like it (one address's rate"
                " limits for all); list it in FORWARDED_ALLOW_IPS",
                peer,
            )
