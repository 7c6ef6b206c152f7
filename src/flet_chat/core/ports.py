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
    Message,
    MessageKind,
    NewMessage,
    Room,
    RoomState,
    SearchQuery,
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

    async def delete(self, message_id: int) -> Message:
        """Forget the text, reactions, mentions and attachment records; the message stays as a
        stub. (The attachments' blobs are the caller's to delete.)"""
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
        """Store a new room with its `members`; False if the key is taken."""
        ...

    async def get_room(self, key: str) -> Room | None: ...

    async def public_rooms(self, limit: int = MAX_ROOM_DIRECTORY) -> list[Room]:
        """The `limit` most recently active public rooms (newest message, else creation), by
        name."""
        ...

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
