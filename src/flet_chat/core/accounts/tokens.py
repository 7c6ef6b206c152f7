"""Session and access tokens: random, shown to their client once, kept only as a hash.

A token has 256 random bits, so a fast hash is enough at rest (nothing to brute-force, unlike a
password); the prefix tells a leaked one's kind at a glance and lets secret scanners find it.
"""

from __future__ import annotations

import hashlib
import secrets

from flet_chat.core.accounts.models import SessionKind

_PREFIX = {
    SessionKind.BROWSER: "fcs_",
    SessionKind.API: "fcs_",
    SessionKind.ACCESS_TOKEN: "fcp_",
}
MAX_TOKEN_LENGTH = 128


def new_token(kind: SessionKind) -> str:
    return _PREFIX[kind] + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: object) -> bool:
    """Worth a database lookup: one of ours by its shape (anything else is refused for free)."""
    return (
        isinstance(token, str)
        and token.startswith(("fcs_", "fcp_"))
        and len(token) <= MAX_TOKEN_LENGTH
        and token.isascii()
    )
