"""Upload tickets: how an HTTP upload proves which account session asked for it.

A Flet session knows its account session but the browser's upload (a plain `PUT`, made by the
Flutter client outside the websocket) carries no token of its own, and may reach another worker
process. So the session signs a short-lived ticket naming the account session, the upload URL
carries it, and the route that takes the upload checks the signature and that the session is
still live before it reads a byte of the body.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

from flet_chat.core.accounts.models import SessionKind

# Long enough for a picked file to start uploading on a slow link, short enough that a ticket
# that leaked (a proxy's log) is soon worthless; the session it names must be live as well.
UPLOAD_TICKET_SECONDS = 120
_SALT = "flet-chat.upload-ticket.v1"


class UploadTickets:
    def __init__(self, secret_key: str, *, max_age: int = UPLOAD_TICKET_SECONDS) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
        self._max_age = max_age

    def issue(self, user_name: str, session_id: int, kind: SessionKind) -> str:
        return self._serializer.dumps({"n": user_name, "s": session_id, "k": kind.value})

    def verify(self, ticket: object) -> tuple[str, int, SessionKind] | None:
        """The account name, session id and kind the ticket was issued for, or None (forged,
        expired or junk)."""
        if not isinstance(ticket, str) or not ticket or len(ticket) > 512:
            return None
        try:
            payload = self._serializer.loads(ticket, max_age=self._max_age)
        except BadSignature:  # SignatureExpired is a BadSignature too
            return None
        if not isinstance(payload, dict):
            return None
        name, session_id, kind = payload.get("n"), payload.get("s"), payload.get("k")
        if not isinstance(name, str) or type(session_id) is not int or not isinstance(kind, str):
            return None
        try:
            return name, session_id, SessionKind(kind)
        except ValueError:
            return None
