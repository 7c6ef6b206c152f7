"""Socket.IO acknowledgements for refusals: `{ok: false, error: {code, message}}`."""

from __future__ import annotations

from typing import Any

import pydantic

from flet_chat.api.schemas import ErrorAck, ErrorBody, ErrorCode
from flet_chat.core.errors import ChatError, NameTakenError, NotJoinedError, RateLimitedError
from flet_chat.core.message_actions import NotAllowedError
from flet_chat.core.rooms import NotAMemberError, UnknownRoomError

Ack = dict[str, Any]


class InvalidRequest(ChatError):
    """A request that is well-formed but incomplete (a join with neither name nor token)."""


class Unauthorized(ChatError):
    """A token that is neither a bot's nor a valid identity token."""


_CODES: tuple[tuple[type[ChatError], ErrorCode], ...] = (
    (UnknownRoomError, "unknown_room"),
    (NameTakenError, "name_taken"),
    (RateLimitedError, "rate_limited"),
    (Unauthorized, "unauthorized"),
    (NotJoinedError, "not_joined"),
    (NotAMemberError, "not_joined"),
    (NotAllowedError, "forbidden"),
)


def error_ack(code: ErrorCode, message: str) -> Ack:
    return ErrorAck(error=ErrorBody(code=code, message=message)).model_dump(mode="json")


def chat_error_ack(error: ChatError) -> Ack:
    """The user-facing text of a core error, with a code a program can act on."""
    code: ErrorCode = next((c for kind, c in _CODES if isinstance(error, kind)), "invalid")
    return error_ack(code, str(error))


def invalid_payload_ack(error: pydantic.ValidationError) -> Ack:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "payload"
    return error_ack("invalid", f"Invalid {where}: {first.get('msg', 'invalid value')}")
