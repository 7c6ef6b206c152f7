"""Socket.IO acknowledgements for refusals: `{ok: false, error: {code, message}}`."""

from __future__ import annotations

import re
from typing import Any

import pydantic

from flet_chat.api.schemas import ErrorAck, ErrorBody, ErrorCode
from flet_chat.core.errors import (
    ChatError,
    ForbiddenError,
    NameTakenError,
    NotJoinedError,
    RateLimitedError,
    UnauthorizedError,
)
from flet_chat.core.message_actions import NotAllowedError
from flet_chat.core.rooms import NotAMemberError, UnknownRoomError

Ack = dict[str, Any]


class InvalidRequest(ChatError):
    """A request that is well-formed but incomplete (a join with neither name nor token)."""


class Unauthorized(UnauthorizedError):
    """A token that is neither a bot's nor an account's (ended, expired, forged)."""


_CODES: tuple[tuple[type[ChatError], ErrorCode], ...] = (
    (UnknownRoomError, "unknown_room"),
    (NameTakenError, "name_taken"),
    (RateLimitedError, "rate_limited"),
    (UnauthorizedError, "unauthorized"),  # a wrong password, an ended session, a bad token
    (NotJoinedError, "not_joined"),
    (NotAMemberError, "not_joined"),
    (NotAllowedError, "forbidden"),
    (ForbiddenError, "forbidden"),  # moderation: not a moderator, muted, banned, archived
)


def error_ack(code: ErrorCode, message: str) -> Ack:
    return ErrorAck(error=ErrorBody(code=code, message=message)).model_dump(mode="json")


def chat_error_ack(error: ChatError) -> Ack:
    """The user-facing text of a core error, with a code a program can act on."""
    code: ErrorCode = next((c for kind, c in _CODES if isinstance(error, kind)), "invalid")
    return error_ack(code, str(error))


# A field's name as the schemas spell them: anything else in an error's location is the client's
# own key (an unknown field), which a refusal does not repeat back.
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")
_NOT_AN_OBJECT = "Invalid payload: send an object (a JSON dictionary) of the request's fields."


def invalid_message(error: pydantic.ValidationError, whole: str = "payload") -> str:
    """A refusal's text for a payload its schema rejects: the field and what is wrong with it."""
    first = error.errors()[0]
    loc = first.get("loc", ())
    if not loc and first.get("type") in ("model_type", "dict_type"):
        return _NOT_AN_OBJECT.replace("payload", whole)
    parts = [str(part) for part in loc]
    known = all(isinstance(p, int) or _FIELD_NAME.fullmatch(str(p)) for p in loc)
    where = ".".join(parts) if parts and known else whole
    what = str(first.get("msg", "invalid value"))[:200]
    return f"Invalid {where}: {what}"


def invalid_payload_ack(error: pydantic.ValidationError) -> Ack:
    return error_ack("invalid", invalid_message(error))
