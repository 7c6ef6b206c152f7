"""What the core needs from the outside world; adapters live in storage/ and bus/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flet_chat.core.events import ChatEvent
from flet_chat.core.limits import MAX_ROOM_DIRECTORY
from flet_chat.core.models import (
    Attachment,
    HistoryPage,
    Membership,
    Message,
    MessageKind,
    NewMessage,
    Room,
    RoomRole,
    RoomState,
    SearchQuery,
)
from flet_chat.core.moderation_models import (
    AuditEntry,
    NewAuditEntry,
    NewReport,
    Report,
    ReportResolution,
)


class MessageStore(Protocol):
    async def add(self, new: NewMessage) -> Message:
        """Commit the message (and its mentions) and return it with its id and timestamp."""
        ...

    async def latest(self, room: str, limit: int) -> HistoryPage: ...

    async def before(self, room: str, message_id: int, limit: int) -> HistoryPage:
        """The `limit` messages of `room` just older than `message_id`, oldest first."""
        ...

    async def after(self, message_id: int, limit: int) -> list[Message]:
        """Up to `limit` messages of any room newer than `message_id`, oldest first: how a
        process fills the gap after its bus was away."""
        ...

    async def around(self, room: str, message_id: int, limit: int) -> HistoryPage:
        """About `limit` messages of `room` around `message_id` (it and older ones first, then
        newer ones), oldest first, with `has_older` and `has_newer`."""
        ...

    async def search(self, query: SearchQuery) -> list[Message]:
        """The newest messages matching `query` (see SearchQuery), newest first. User text in
        `terms` is words only, but a store must still never read it as query syntax."""
        ...

    async def latest_id(self) -> int: ...

    async def last_of_kind(self, room: str, kind: MessageKind) -> Message | None:
        """The newest message of `kind` in `room` (the topic is the last `topic` message)."""
        ...

    async def get(self, message_id: int) -> Message | None: ...

    async def edit(self, message_id: int, text: str, mentions: tuple[str, ...]) -> Message:
        """New text (and mentions); marks it edited and bumps its revision."""
        ...

    async def delete(self, message_id: int, *, by_moderator: bool = False) -> Message:
        """Forget the text, reactions, mentions and attachment records; the message stays as a
        stub (marked `removed_by_moderator` if so). (The attachments' blobs are the caller's to
        delete.)"""
        ...

    async def attachment(self, attachment_id: str) -> tuple[Attachment, Message] | None:
        """The attachment of that id and the message carrying it, if any."""
        ...

    async def toggle_reaction(self, message_id: int, user_name: str, emoji: str) -> Message:
        """Add the user's `emoji` to the message, or take it back if it was there."""
        ...

    async def ping(self) -> None:
        """Raise if the store cannot be reached."""
        ...


class RoomStore(Protocol):
    async def name_holder(self, user_name: str, skeleton: str) -> str | None:
        """The claimed name that is `user_name` in any case or has its `skeleton`, if any."""
        ...

    async def create_room(self, room: Room, created_by: str) -> bool:
        """Store a new room with its `members` (`created_by` among them is its owner); False if
        the key is taken."""
        ...

    async def get_room(self, key: str) -> Room | None:
        """The room with its settings (archived, slow mode); #general is a row too."""
        ...

    async def public_rooms(self, limit: int = MAX_ROOM_DIRECTORY) -> list[Room]:
        """The `limit` most recently active public rooms that are not archived (newest
        message, else creation), by name."""
        ...

    async def membership(self, key: str, user_name: str) -> Membership | None:
        """The user's role and mute in the room, None if they are not a member (#general: a
        row exists only once they were muted or marked it read; None means a plain member)."""
        ...

    async def standing(self, key: str, user_name: str) -> tuple[Room | None, Membership | None]:
        """`get_room` and `membership` in one step (what every post asks)."""
        ...

    async def memberships(self, key: str) -> list[Membership]:
        """Every member's standing, by user key (not #general's)."""
        ...

    async def set_role(self, key: str, user_name: str, role: RoomRole) -> bool:
        """False if the user is not a member."""
        ...

    async def transfer_ownership(self, key: str, owner: str, new_owner: str) -> bool:
        """In one transaction: `new_owner` (a member) becomes the owner and `owner` a
        moderator; False if either is not a member."""
        ...

    async def set_muted(self, key: str, user_name: str, until: datetime | None) -> bool:
        """Mute until `until` (None: unmute); in #general a row is made if needed. False if
        the user is not a member (of a room other than #general)."""
        ...

    async def set_archived(self, key: str, archived: bool) -> None: ...

    async def set_slow_mode(self, key: str, seconds: int) -> None: ...

    async def rooms_created_since(self, user_name: str, since: datetime) -> int:
        """How many public rooms `user_name` (without case) created after `since`."""
        ...

    async def add_member(self, key: str, user_name: str) -> bool:
        """True if the user was not a member; they have read everything said before."""
        ...

    async def remove_member(self, key: str, user_name: str) -> bool: ...

    async def is_member(self, key: str, user_name: str) -> bool: ...

    async def members(self, key: str) -> list[str]:
        """Names of the room's members (not of #general, which has everyone)."""
        ...

    async def rooms_of(self, user_name: str) -> list[RoomState]:
        """#general and every room the user is in, with their unread counts."""
        ...

    async def room_keys_of(self, user_name: str) -> list[str]:
        """The keys of #general and every room the user is in (public rooms joined, direct
        conversations): what `rooms_of` lists, without counting anything."""
        ...

    async def mark_read(self, key: str, user_name: str, message_id: int) -> None:
        """The user has seen `room` up to `message_id` (a marker never moves back)."""
        ...


class ModerationStore(Protocol):
    """Bans, reports and the audit log (storage/moderation_store.py)."""

    async def add_ban(
        self, key: str, user_name: str, *, banned_by: str, reason: str | None, at: datetime
    ) -> bool:
        """Ban from room `key` ("*": the whole chat); False if banned already."""
        ...

    async def remove_ban(self, key: str, user_name: str) -> bool: ...

    async def is_banned(self, key: str, user_name: str) -> bool:
        """Whether the user is banned from room `key` or from the whole chat."""
        ...

    async def banned(self, key: str) -> list[str]:
        """Names banned from room `key` ("*": from the chat)."""
        ...

    async def add_report(self, new: NewReport, at: datetime) -> Report | None:
        """None if the reporter has an open report of that message already."""
        ...

    async def report(self, report_id: int) -> Report | None: ...

    async def open_reports(self, limit: int) -> list[Report]:
        """The oldest open reports first."""
        ...

    async def resolve_report(
        self, report_id: int, *, by: str, resolution: ReportResolution, at: datetime
    ) -> Report | None:
        """Close an open report; None if it does not exist or was resolved already (by
        someone else at the same moment)."""
        ...

    async def reopen_report(self, report_id: int) -> None:
        """Open a report closed by `resolve_report` again (the action it was closed for
        failed); it stays closed if its reporter has reported the message again meanwhile."""
        ...

    async def add_audit(self, entry: NewAuditEntry, at: datetime) -> AuditEntry: ...

    async def audit_log(self, limit: int, before: int | None) -> list[AuditEntry]:
        """Newest first; `before` pages on from the last entry's id."""
        ...


class EventBus(Protocol):
    async def publish(self, event: ChatEvent) -> None: ...


class Presence(Protocol):
    """Who is online, counted per user however many tabs, processes or machines they use."""

    async def enter(self, user_name: str, session_key: str) -> bool:
        """Mark a session online; True if the user was offline before it."""
        ...

    async def leave(self, user_name: str, session_key: str) -> bool:
        """Mark a session gone; True if the user has no other session left."""
        ...

    async def set_connected(self, user_name: str, session_key: str, connected: bool) -> None:
        """A joined session lost (or got back) its connection. It still counts for join and
        leave notices (a reload is not a leave), but not in `online_users`."""
        ...

    async def online_users(self) -> list[str]:
        """Users with at least one connected session, sorted case-insensitively."""
        ...

    async def online_count(self) -> int:
        """How many users `online_users` would list, without listing them."""
        ...


class BlobStore(Protocol):
    """Where attachments' bytes live, by server-made keys (core/attachments.blob_key): a
    directory under the data dir, or an S3-compatible bucket (storage/)."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None:
        """The blob's bytes, or None if there is none under `key`."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob; no error if it is already gone."""
        ...


@dataclass(frozen=True, slots=True)
class Inspected:
    """What a file's content says it is: its sniffed type and, for an image, a thumbnail."""

    content_type: str
    thumbnail: bytes | None = None
    thumbnail_type: str = "image/webp"
    data: bytes | None = None  # what to keep instead of the upload (an image without metadata)


class MediaInspector(Protocol):
    """Sniffs a file's type from its bytes and makes an image's thumbnail (media/)."""

    async def inspect(self, data: bytes) -> Inspected: ...
