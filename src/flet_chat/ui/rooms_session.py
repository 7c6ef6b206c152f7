"""One session's rooms: which it is in (and so hears), how many unread messages each has for
its user, and which public rooms it could join. Navigation and Conversation decide what is on
screen; this keeps the books and the fan-out subscriptions.

A session subscribes to a room's topic only once the server has said its user is in the room
(rooms_of, or a MembershipChanged naming the user), so a direct conversation never reaches
anyone else's session.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from flet_chat.bus.fanout import Fanout
from flet_chat.bus.local import ROOMS_TOPIC, room_topic, user_topic
from flet_chat.core.accounts.models import Profile
from flet_chat.core.limits import DEFAULT_ROOM, UNREAD_CAP
from flet_chat.core.mentions import mentioned_names
from flet_chat.core.models import Message, MessageKind, Room, RoomKind
from flet_chat.core.room_service import GENERAL, RoomService, title_for
from flet_chat.core.rooms import user_key
from flet_chat.ui.views.room_list import RoomEntry

logger = logging.getLogger(__name__)

_COUNTED = frozenset({MessageKind.CHAT, MessageKind.ACTION})


class Profiles(Protocol):
    """What the room list needs of the profile cache (live/profile_cache.py)."""

    def shown(self, user_name: str) -> tuple[Profile, int]: ...

    async def ensure(self, user_names: Iterable[str]) -> None: ...


@dataclass(slots=True)
class _Books:
    room: Room
    unread: int = 0
    mentioned: bool = False


class RoomsSession:
    def __init__(
        self,
        rooms: RoomService,
        fanout: Fanout,
        subscriber: object,
        handler: Callable[[str, Any], None],
        profiles: Profiles | None = None,
        directory: Callable[[], Awaitable[list[Room]]] | None = None,
    ) -> None:
        """`directory` reads the public rooms (the process's shared RoomDirectory; the
        service's own read without one)."""
        self._rooms = rooms
        self._directory = directory
        self._profiles = profiles
        self._fanout = fanout
        self._subscriber = subscriber
        self._handler = handler
        self._books: dict[str, _Books] = {DEFAULT_ROOM: _Books(GENERAL)}
        self._public: list[str] = [DEFAULT_ROOM]
        self._me: str | None = None

    def listen_to_general(self) -> None:
        """Before anyone joins: #general's conversation shows behind the name dialog."""
        self._fanout.subscribe(room_topic(DEFAULT_ROOM), self._subscriber, self._handler)

    async def load(self, me: str, *, rooms_read: Callable[[], None] | None = None) -> None:
        """The user is known: hear their rooms, their own news and new public rooms.
        `rooms_read` is called as soon as their rooms are read, before the rest is."""
        self._me = me
        self._fanout.subscribe(user_topic(me), self._subscriber, self._handler)
        self._fanout.subscribe(ROOMS_TOPIC, self._subscriber, self._handler)
        states = await self._rooms.rooms_of(me)
        if rooms_read is not None:
            rooms_read()
        public = await (self._directory or self._rooms.public_rooms)()
        if self._me != me:
            return  # signed out meanwhile: `reset` has stopped hearing their topics
        for state in states:
            self._add(state.room, unread=state.unread, mentioned=state.mentioned)
        # Merged, not replaced: a room created while these were read may have been heard of
        # already (RoomChanged) yet be missing from a read that started before it existed.
        self._public = sorted({*self._public, *(room.key for room in public)})
        if self._profiles is not None:  # the people of direct conversations, in one query
            try:
                await self._profiles.ensure(self._people())
            except Exception as error:
                logger.warning("could not read profiles: %r", error)

    def reset(self) -> None:
        """Signed out: back to #general alone, hearing nothing of the user's own (their direct
        conversations, their private rooms) from now on."""
        self._me = None
        self._fanout.unsubscribe(self._subscriber)
        self._books = {DEFAULT_ROOM: _Books(GENERAL)}
        self.listen_to_general()

    def get(self, key: str) -> Room | None:
        books = self._books.get(key)
        return None if books is None else books.room

    def is_in(self, key: str) -> bool:
        return key in self._books

    def joined(self, room: Room) -> None:
        self._add(room)
        if _listed(room) and room.key not in self._public:
            self._public = sorted([*self._public, room.key])

    def left(self, key: str) -> None:
        if key == DEFAULT_ROOM or self._books.pop(key, None) is None:
            return
        self._fanout.unsubscribe_topic(room_topic(key), self._subscriber)

    def room_created(self, room: Room) -> None:
        if _listed(room) and room.key not in self._public:
            self._public = sorted([*self._public, room.key])

    def room_changed(self, room: Room) -> None:
        """A room's settings changed (archived, slow mode): its books keep the new room, and an
        archived public room leaves the directory (unarchived, it comes back)."""
        books = self._books.get(room.key)
        if books is not None:
            books.room = room
        if _listed(room):
            self.room_created(room)
        elif room.key in self._public and room.key != DEFAULT_ROOM:
            self._public = [key for key in self._public if key != room.key]

    def count(self, message: Message) -> bool:
        """A message in a room not on screen; returns whether its books changed."""
        books = self._books.get(message.room)
        me = self._me
        if books is None or me is None or not counts_as_unread(message, me):
            return False
        books.unread = min(UNREAD_CAP, books.unread + 1)
        if user_key(me) in mentioned_names(message.text):
            books.mentioned = True
        return True

    def unread(self, key: str) -> int:
        books = self._books.get(key)
        return 0 if books is None else books.unread

    def total_unread(self) -> int:
        """Unread messages in all the user's rooms and direct conversations (each room's count
        stops at UNREAD_CAP, as its badge does)."""
        return sum(books.unread for books in self._books.values())

    def seen(self, key: str) -> None:
        books = self._books.get(key)
        if books is not None:
            books.unread, books.mentioned = 0, False

    def entries(self) -> list[RoomEntry]:
        """#general, then rooms by name, then direct conversations by the other's name."""
        me = self._me
        public = sorted(
            (b for b in self._books.values() if b.room.kind is not RoomKind.DIRECT),
            key=lambda b: (b.room.key != DEFAULT_ROOM, b.room.key),
        )
        direct = sorted(
            (b for b in self._books.values() if b.room.kind is RoomKind.DIRECT),
            key=lambda b: title_for(b.room, me).casefold(),
        )
        return [
            RoomEntry(
                b.room.key,
                title_for(b.room, me),
                b.unread,
                b.mentioned,
                private=b.room.kind is RoomKind.PRIVATE,
                archived=b.room.archived,
            )
            for b in public
        ] + [self._direct_entry(b, me) for b in direct]

    def _direct_entry(self, books: _Books, me: str | None) -> RoomEntry:
        person = _other(books.room, me)
        profile = self._profiles.shown(person)[0] if self._profiles and person else None
        title = title_for(books.room, me)
        return RoomEntry(books.room.key, title, books.unread, books.mentioned, person, profile)

    def _people(self) -> set[str]:
        """Whom the user has direct conversations with."""
        people = (_other(b.room, self._me) for b in self._books.values())
        return {p for p in people if p is not None}

    def talks_with_any(self, user_keys: frozenset[str]) -> bool:
        """Whether one of these people (by user key) has a direct conversation with the user."""
        return any(user_key(person) in user_keys for person in self._people())

    def directory(self) -> list[str]:
        """Public rooms the user is not in."""
        return [key for key in self._public if key not in self._books]

    def _add(self, room: Room, *, unread: int = 0, mentioned: bool = False) -> None:
        books = self._books.get(room.key)
        if books is None:
            self._books[room.key] = _Books(room, unread, mentioned)
        else:  # #general, known from the start, or counted live while the store was read
            books.unread = max(books.unread, unread)
            books.mentioned = books.mentioned or mentioned
        self._fanout.subscribe(room_topic(room.key), self._subscriber, self._handler)


def _listed(room: Room) -> bool:
    """Whether the directory lists the room: public and not archived."""
    return room.kind is RoomKind.PUBLIC and not room.archived


def counts_as_unread(message: Message, me: str | None) -> bool:
    """Whether `message` counts as unread for `me`: chat and /me by someone else, the rule
    the store's unread counts follow (RoomService.rooms_of)."""
    if message.kind not in _COUNTED or message.deleted:
        return False
    return me is None or user_key(message.user_name) != user_key(me)


def _other(room: Room, me: str | None) -> str | None:
    """The other person of a direct conversation (None for a public room)."""
    if room.kind is not RoomKind.DIRECT:
        return None
    others = [m for m in room.members if me is None or user_key(m) != user_key(me)]
    return others[0] if others else (room.members[0] if room.members else None)
