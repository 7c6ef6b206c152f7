"""Room names and keys. Public rooms are named `a-z0-9-`; a direct conversation's key is built
from its two people's names so that both of them (and nobody else) arrive at the same room."""

from __future__ import annotations

import re

from flet_chat.core.errors import ChatError, ValidationError
from flet_chat.core.limits import DEFAULT_ROOM, MAX_ROOM_NAME_LENGTH

_ROOM_NAME = re.compile(rf"[a-z0-9-]{{1,{MAX_ROOM_NAME_LENGTH}}}")
DIRECT_PREFIX = "dm:"
ROOM_NAME_RULE = (
    f"Room names are 1 to {MAX_ROOM_NAME_LENGTH} characters: "
    "lowercase letters a-z, digits and hyphens."
)


class UnknownRoomError(ChatError):
    """A client named a room that does not exist, or one it may not see (the same answer, so
    nobody learns which direct conversations exist)."""


class NotAMemberError(ChatError):
    """A client acted in a room it has not joined."""


def clean_room_name(raw: str) -> str:
    """A public room's name from what a user typed ("#Dev-Ops" becomes "dev-ops")."""
    name = raw.strip().removeprefix("#").lower()
    if not _ROOM_NAME.fullmatch(name):
        raise ValidationError(ROOM_NAME_RULE)
    return name


def room_key(raw: str | None) -> str:
    """The key a client means: the default room when omitted; a direct key as it is; a public
    name cleaned (unknown names are the store's to refuse)."""
    if raw is None:
        return DEFAULT_ROOM
    if raw.startswith(DIRECT_PREFIX):
        return raw
    return clean_room_name(raw)


def user_key(name: str) -> str:
    """Names are compared without case: "alice" and "Alice" are one person."""
    return name.casefold()


def direct_key(a: str, b: str) -> str:
    """The key of the conversation between `a` and `b`, the same whoever starts it. Names may
    hold any printable character, so each is length-prefixed: no two pairs share a key."""
    first, second = sorted((user_key(a), user_key(b)))
    return f"{DIRECT_PREFIX}{len(first)}:{first}{second}"


def is_direct(key: str) -> bool:
    return key.startswith(DIRECT_PREFIX)
