"""Proxy headers believed only from the proxies in FORWARDED_ALLOW_IPS.

Uvicorn's ProxyHeadersMiddleware already ignores X-Forwarded-For and -Proto from anyone else,
but leaves every header in place, so code further in (Engine.IO's Origin check, the scheme it
reports) would still read a forged X-Forwarded-Host. This middleware removes the forwarding
headers of a request that did not come from a trusted proxy, then lets uvicorn's apply the rest.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

_FORWARDING = frozenset(
    {b"forwarded", b"x-forwarded-for", b"x-forwarded-host", b"x-forwarded-proto"}
)


class TrustedProxyHeaders:
    def __init__(self, app: ASGIApp, trusted: str) -> None:
        self._proxy = ProxyHeadersMiddleware(app, trusted_hosts=trusted)  # type: ignore[arg-type]
        # The same judgement uvicorn makes for X-Forwarded-For: one list, one meaning.
        self._trusted: Any = self._proxy.trusted_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            if client is None or client[0] not in self._trusted:
                headers = scope["headers"]
                if any(name in _FORWARDING for name, _ in headers):
                    scope = dict(scope)
                    scope["headers"] = [(n, v) for n, v in headers if n not in _FORWARDING]
        await self._proxy(scope, receive, send)  # type: ignore[arg-type]
