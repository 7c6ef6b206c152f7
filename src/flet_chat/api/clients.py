"""What the server knows about one Socket.IO connection (per process: sids are per process)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flet_chat.core.accounts.models import Authenticated
from flet_chat.core.models import AuthorKind
from flet_chat.core.rate_limit import Origin


@dataclass(slots=True)
class ApiClient:
    sid: str
    # Presence counts sessions; this key is unique across processes, like a Flet session's.
    session_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    user_name: str | None = None
    author_kind: AuthorKind = AuthorKind.USER
    room: str | None = None
    auth: Authenticated | None = None  # the account session it joined with (not a bot's)
    # Stops SessionWatch's watch of that session (api/account_requests.py); None: not watched.
    unwatch: Callable[[], None] | None = None
    # Its session ended (signed out here or elsewhere): every request is refused until it signs
    # in or joins again.
    signed_out: bool = False
    # Joins (`join`, a seed console's first line) and the disconnect's leave take turns on this
    # lock: a join still running when the connection goes finishes first, then the disconnect
    # takes it back. Without it a join that outlived its connection stayed online for good.
    presence_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    gone: bool = False  # the connection closed: no join may start any more
    # Rate limits count per connection and per client IP as well as per user.
    origin: Origin = field(default_factory=Origin)

    @property
    def session_id(self) -> int | None:
        return None if self.auth is None else self.auth.session_id


def scope_ip(environ: Mapping[str, Any]) -> str | None:
    """The client's IP from the ASGI scope, rewritten from X-Forwarded-For only for proxies in
    FORWARDED_ALLOW_IPS (api/forwarded.py); engine.io's REMOTE_ADDR is always 127.0.0.1."""
    client = (environ.get("asgi.scope") or {}).get("client")
    return str(client[0]) if client else None
