"""What the server knows about one Socket.IO connection (per process: sids are per process)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flet_chat.core.models import AuthorKind


@dataclass(slots=True)
class ApiClient:
    sid: str
    # Presence counts sessions; this key is unique across processes, like a Flet session's.
    session_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    user_name: str | None = None
    author_kind: AuthorKind = AuthorKind.USER
    room: str | None = None
