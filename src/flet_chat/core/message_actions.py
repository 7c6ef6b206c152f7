"""Edits, deletes and reactions: what can happen to a message after it was posted.

Only a message's author may edit it; its author may delete it, and so may the room's moderators
and chat admins (core/moderation.py: then it reads "removed by a moderator"); anyone who can
post in its room may react. Nothing changes in an archived room, and a muted member neither
edits nor reacts. Each change is stored first and then published as `MessageChanged` with the
message's new state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from flet_chat.core.attachments import forget_blobs
from flet_chat.core.emoji import clean_emoji
from flet_chat.core.errors import NO_SUCH_MESSAGE, ChatError, ValidationError
from flet_chat.core.events import MessageChanged
from flet_chat.core.limits import MAX_MESSAGE_ID
from flet_chat.core.mentions import mentioned_names
from flet_chat.core.models import AuthorKind, Message, MessageKind
from flet_chat.core.moderation import Moderation
from flet_chat.core.ports import BlobStore, EventBus, MessageStore
from flet_chat.core.rate_limit import Origin
from flet_chat.core.room_service import ArchivedError, RoomService
from flet_chat.core.rooms import UnknownRoomError, user_key
from flet_chat.core.validation import clean_message_text, clean_user_name

# What an author can take back or reword: what they said, not notices about them.
_EDITABLE = frozenset({MessageKind.CHAT, MessageKind.ACTION})
NOT_YOURS = "You can only change your own messages."
GONE = "That message was deleted."


def is_authors(message: Message, user_name: str) -> bool:
    """Whether `user_name` wrote this message as a person (what edit and delete require)."""
    return (
        message.kind in _EDITABLE
        and message.author_kind is AuthorKind.USER
        and user_key(message.user_name) == user_key(user_name)
    )


class NotAllowedError(ChatError):
    """The user may not do this to that message."""


class MessageActions:
    def __init__(
        self,
        store: MessageStore,
        bus: EventBus,
        rooms: RoomService,
        spend: Callable[[str, Origin | None], Awaitable[None]],
        moderation: Moderation,
        *,
        blobs: BlobStore | None = None,
    ) -> None:
        self._blobs = blobs
        self._moderation = moderation
        self._store = store
        self._bus = bus
        self._rooms = rooms
        self._spend = spend

    async def edit(
        self, user_name: str, message_id: int, raw_text: str, *, origin: Origin | None = None
    ) -> Message:
        name, text = clean_user_name(user_name), clean_message_text(raw_text)
        message = await self._own(name, message_id)
        if text == message.text:
            return message  # nothing changed: no "edited" mark
        await self._rooms.writable(name, message.room)  # not archived, not muted
        await self._spend(name, origin)
        changed = await self._store.edit(message_id, text, mentioned_names(text))
        await self._bus.publish(MessageChanged(changed))
        return changed

    async def delete(
        self, user_name: str, message_id: int, *, origin: Origin | None = None
    ) -> Message:
        name = clean_user_name(user_name)
        try:
            message = await self._own(name, message_id)
        except NotAllowedError as refusal:
            # A moderator (or an admin) removes the messages of lower ranks in rooms they can
            # read (never a notice, nor a DM they are not in: _visible answers those as
            # missing). Looked up only here, not per post.
            message = await self._visible(name, message_id)
            if not await self._moderation.may_remove(name, message):
                raise refusal
            return await self._moderation.remove_message(name, message_id, origin=origin)
        room = await self._rooms.readable(name, message.room)
        if room.archived:
            raise ArchivedError(room.key)
        await self._spend(name, origin)
        changed = await self._store.delete(message_id)
        if message.attachments and self._blobs is not None:
            # After the commit: a failed delete leaves the files with their message.
            await forget_blobs(self._blobs, message.attachments)
        await self._bus.publish(MessageChanged(changed))
        return changed

    async def toggle_reaction(
        self, user_name: str, message_id: int, raw_emoji: str, *, origin: Origin | None = None
    ) -> Message:
        name, emoji = clean_user_name(user_name), clean_emoji(raw_emoji)
        message = await self._visible(name, message_id)
        await self._rooms.writable(name, message.room)
        if message.deleted:
            raise NotAllowedError(GONE)
        await self._spend(name, origin)
        changed = await self._store.toggle_reaction(message_id, name, emoji)
        await self._bus.publish(MessageChanged(changed))
        return changed

    async def _visible(self, user_name: str, message_id: int) -> Message:
        # An id outside the databases' 64-bit range names no message (asking would crash).
        in_range = 0 < message_id <= MAX_MESSAGE_ID
        message = await self._store.get(message_id) if in_range else None
        if message is None:
            raise ValidationError(NO_SUCH_MESSAGE)
        try:
            await self._rooms.readable(user_name, message.room)
        except UnknownRoomError:
            # Someone else's direct message answers exactly as a missing id does, so nobody can
            # count another person's direct messages by trying ids.
            raise ValidationError(NO_SUCH_MESSAGE) from None
        return message

    async def _own(self, user_name: str, message_id: int) -> Message:
        message = await self._visible(user_name, message_id)
        if message.deleted:
            raise NotAllowedError(GONE)
        if not is_authors(message, user_name):
            raise NotAllowedError(NOT_YOURS)
        return message
