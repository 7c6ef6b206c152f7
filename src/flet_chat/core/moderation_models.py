"""Records of moderation: reports of messages and the audit log of what moderators did."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from flet_chat.core.models import Message

# The room key a chat-wide ban is recorded under (no room's key can be "*").
EVERYWHERE = "*"


class ModerationAction(enum.StrEnum):
    """What a moderator, owner or admin did; one audit entry each."""

    REMOVE_MESSAGE = "remove_message"
    MUTE = "mute"
    UNMUTE = "unmute"
    KICK = "kick"
    BAN = "ban"  # from one room
    UNBAN = "unban"
    GLOBAL_BAN = "global_ban"  # from the whole chat
    GLOBAL_UNBAN = "global_unban"
    SLOW_MODE = "slow_mode"
    SET_ROLE = "set_role"
    TRANSFER = "transfer"
    ARCHIVE = "archive"
    UNARCHIVE = "unarchive"
    INVITE = "invite"
    RESOLVE_REPORT = "resolve_report"


class ReportResolution(enum.StrEnum):
    """What an admin does with a report: nothing, or act through Moderation."""

    DISMISS = "dismiss"
    DELETE = "delete"  # remove the message
    MUTE = "mute"  # mute its author in its room (for `minutes`)
    BAN = "ban"  # ban its author from its room
    GLOBAL_BAN = "global_ban"  # ban its author from the chat


@dataclass(frozen=True, slots=True)
class NewReport:
    message_id: int
    room: str
    reporter: str
    reason: str


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    message_id: int
    room: str
    reporter: str
    reason: str
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: ReportResolution | None = None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True, slots=True)
class OpenReport:
    """A report as the admin view shows it: the message (None if it is gone from the store)
    and a few messages around it, oldest first."""

    report: Report
    message: Message | None
    context: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class NewAuditEntry:
    actor: str
    action: ModerationAction
    target_user: str | None = None
    room: str | None = None
    message_id: int | None = None
    reason: str | None = None
    detail: str | None = None  # e.g. "60 min" (a mute), "moderator", "30 s"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: ModerationAction
    target_user: str | None
    room: str | None
    message_id: int | None
    reason: str | None
    detail: str | None
