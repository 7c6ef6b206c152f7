"""Signed identity tokens: a browser keeps one in client storage to be recognised after a reconnect
that lands on another process or machine, without the server trusting a raw name from the client.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

from flet_chat.core.errors import ValidationError
from flet_chat.core.validation import clean_user_name

TOKEN_MAX_AGE_SECONDS = 30 * 24 * 3600
_SALT = "flet-chat.identity.v1"


class IdentitySigner:
    def __init__(self, secret_key: str, *, max_age: int = TOKEN_MAX_AGE_SECONDS) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
        self._max_age = max_age

    def issue(self, user_name: str) -> str:
        return self._serializer.dumps({"name": user_name})

    def verify(self, token: object) -> str | None:
        """The user name the token was issued for, or None if it is forged, expired or junk."""
        if not isinstance(token, str) or not token:
            return None
        try:
            payload = self._serializer.loads(token, max_age=self._max_age)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        name = payload.get("name") if isinstance(payload, dict) else None
        if not isinstance(name, str):
            return None
        try:
            cleaned = clean_user_name(name)
        except ValidationError:
            return None
        # A token proves the name it was issued for, exactly. A name issued before names were
        # normalised (a fullwidth "Hank") would otherwise prove the name it now cleans to: someone
        # else's, and with it their direct conversations.
        return cleaned if cleaned == name else None
