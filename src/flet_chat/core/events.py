"""Events the core publishes after a commit. Each has a `type` and a `version` for the wire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from flet_chat.core.accounts.models import Profile
from flet_chat.core.models import Message, Room


@dataclass(frozen=True, slots=True)
class MessagePosted:
    """A message (chat, join or leave) was stored and may now be shown."""

    type: ClassVar[str] = "message.posted"
    version: ClassVar[int] = 1
    message: Message


@dataclass(frozen=True, slots=True)
class MessageChanged:
    """A stored message was edited, deleted or reacted to: `message` is its new state."""

    type: ClassVar[str] = "message.changed"
    version: ClassVar[int] = 1
    message: Message


@dataclass(frozen=True, slots=True)
class RoomChanged:
    """A room was created, or its settings changed (archived, slow mode). A private room's
    reaches only its members' sessions (bus/local.py routes it to the room's topic)."""

    type: ClassVar[str] = "room.changed"
    version: ClassVar[int] = 1
    room: Room
    # False for a change to an existing room. Defaults to True: before moderation this event
    # only ever announced a new room.
    created: bool = True


@dataclass(frozen=True, slots=True)
class MembershipChanged:
    """`user_name` joined or left `room` (for a direct room: it was opened with them). Reaches
    that user's sessions, which start or stop hearing the room, and the room's own sessions."""

    type: ClassVar[str] = "membership.changed"
    version: ClassVar[int] = 1
    room: Room
    user_name: str
    joined: bool


@dataclass(frozen=True, slots=True)
class MessagesRestored:
    """Stored messages this process may have missed while its bus was away, oldest first.

    Never sent between processes: each process reads them from the store after a reconnect.
    Sessions merge them by id, so ones they already show are not shown twice.
    """

    type: ClassVar[str] = "messages.restored"
    version: ClassVar[int] = 1
    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class PresenceChanged:
    """A user's sessions came or went in `room`: whoever shows who is online re-reads it.

    A hint, not the state: it may be missed (Redis pub/sub keeps nothing) or say nothing new,
    so receivers re-read `Presence.online_users()` instead of applying it. `online` says whether
    the session came or went; the user may still be online through another session.
    """

    type: ClassVar[str] = "presence.changed"
    version: ClassVar[int] = 1
    room: str
    user_name: str
    online: bool


@dataclass(frozen=True, slots=True)
class UserTyping:
    """`user_name` typed in `room` just now. Ephemeral: never stored, shown for a few seconds."""

    type: ClassVar[str] = "user.typing"
    version: ClassVar[int] = 1
    room: str
    user_name: str


@dataclass(frozen=True, slots=True)
class SessionsEnded:
    """Sessions of `user_name` were signed out (or their token revoked): every process returns
    the connections signed in with them to the sign-in dialog (or, over Socket.IO, sends them
    `signed_out`). Processes also re-check their sessions every few seconds, in case this is
    missed."""

    type: ClassVar[str] = "sessions.ended"
    version: ClassVar[int] = 1
    user_name: str
    session_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ProfileChanged:
    """`user_name`'s display name, status or avatar changed: rows and lists redraw them."""

    type: ClassVar[str] = "profile.changed"
    version: ClassVar[int] = 1
    user_name: str
    profile: Profile


@dataclass(frozen=True, slots=True)
class ModerationChanged:
    """`user_name`'s standing in `room` changed (`room` is "*" for the whole chat): `action`
    is a ModerationAction's value (mute, unmute, kick, ban, unban, global_ban, set_role,
    transfer). `until` is when a mute ends; `role` is a new room role. Reaches that user's
    sessions (to show "You are muted until 20:45", drop a room they were kicked from) and the
    room's."""

    type: ClassVar[str] = "moderation.changed"
    version: ClassVar[int] = 1
    room: str
    user_name: str
    action: str
    until: datetime | None = None
    role: str | None = None


# Events that cross processes; MessagesRestored stays in the process that read it.
ChatEvent = (
    MessagePosted
    | MessageChanged
    | RoomChanged
    | MembershipChanged
    | PresenceChanged
    | UserTyping
    | SessionsEnded
    | ProfileChanged
    | ModerationChanged
)
LocalEvent = ChatEvent | MessagesRestored
