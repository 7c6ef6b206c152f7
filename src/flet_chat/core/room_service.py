"""RoomService: rooms and direct conversations, who is in them, and how far each user has read.

Every check that keeps a room private lives here, on the server: a client that names a direct
conversation it is not in hears that no such room exists, and is never subscribed to its events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flet_chat.core.errors import RateLimitedError, ValidationError
from flet_chat.core.events import MembershipChanged, RoomChanged
from flet_chat.core.limits import DEFAULT_ROOM, ROOMS_PER_USER_PER_DAY
from flet_chat.core.models import Room, RoomKind, RoomState
from flet_chat.core.names import name_skeleton
from flet_chat.core.ports import EventBus, RoomStore
from flet_chat.core.rate_limit import Action, Origin, RateLimits
from flet_chat.core.rooms import (
    NotAMemberError,
    UnknownRoomError,
    clean_room_name,
    direct_key,
    is_direct,
    room_key,
    user_key,
)
from flet_chat.core.validation import clean_user_name

GENERAL = Room(DEFAULT_ROOM, RoomKind.PUBLIC)
DAILY_ROOMS = (
    f"You can create at most {ROOMS_PER_USER_PER_DAY} rooms a day. Join an existing room,"
    " or try again tomorrow."
)
NOBODY = "There is nobody called {name} here."


def no_such_room(key: str) -> UnknownRoomError:
    shown = "that conversation" if is_direct(key) else f"#{key}"
    return UnknownRoomError(f"There is no room {shown}.")


class RoomService:
    def __init__(
        self,
        store: RoomStore,
        bus: EventBus,
        limits: RateLimits,
        is_bot: Callable[[str], bool] = lambda _name: False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._bus = bus
        self._limits = limits  # rooms stay forever: making them has budgets of its own
        self._clock = clock
        self._is_bot = is_bot  # bots never post in direct conversations: none is opened with one

    async def create(self, user_name: str, raw_name: str, *, origin: Origin | None = None) -> Room:
        """A new public room with its creator in it. Budgets: a few in a row, then one a
        minute; at most ROOMS_PER_USER_PER_DAY a day per user (counted in the database, so on
        every process) and a daily number per IP."""
        name = clean_user_name(user_name)
        room = Room(clean_room_name(raw_name), RoomKind.PUBLIC, members=(name,))
        if await self._store.get_room(room.key) is not None:  # refused before it costs a token
            raise _exists(room.key)
        since = self._clock() - timedelta(days=1)
        if await self._store.rooms_created_since(name, since) >= ROOMS_PER_USER_PER_DAY:
            raise RateLimitedError(DAILY_ROOMS)
        await self._limits.spend(Action.ROOM, name, origin)
        if not await self._store.create_room(room, created_by=name):
            raise _exists(room.key)
        public = Room(room.key, RoomKind.PUBLIC)
        await self._bus.publish(RoomChanged(public))
        await self._bus.publish(MembershipChanged(public, name, joined=True))
        return public

    async def join_or_create(
        self, user_name: str, raw_name: str, *, origin: Origin | None = None
    ) -> Room:
        """Join the public room of that name, or create it if there is none."""
        key = clean_room_name(raw_name)
        existing = await self._store.get_room(key)
        if existing is not None and existing.kind is RoomKind.PUBLIC:
            return await self.join(user_name, key)
        return await self.create(user_name, key, origin=origin)

    async def join(self, user_name: str, raw_key: str | None) -> Room:
        """Join a public room (a no-op for a room the user is in); a direct conversation can
        only be "joined" by its two people, who are in it from the start."""
        name = clean_user_name(user_name)
        room = await self.readable(name, raw_key)
        if room.kind is RoomKind.PUBLIC and await self._store.add_member(room.key, name):
            await self._bus.publish(MembershipChanged(room, name, joined=True))
        return room

    async def leave(self, user_name: str, key: str) -> None:
        name = clean_user_name(user_name)
        room = await self.readable(name, key)
        if room.key == DEFAULT_ROOM:
            raise ValidationError("Everyone stays in #general; it cannot be left.")
        if room.kind is RoomKind.DIRECT:
            raise ValidationError("A direct conversation cannot be left.")
        if await self._store.remove_member(room.key, name):
            await self._bus.publish(MembershipChanged(room, name, joined=False))

    async def open_direct(
        self, user_name: str, other_name: str, *, origin: Origin | None = None
    ) -> Room:
        """The conversation between the two (created on first use, with someone who joined
        the chat before under that name: nobody can make rooms with made-up names)."""
        name, other = clean_user_name(user_name), clean_user_name(other_name)
        if user_key(name) == user_key(other):
            raise ValidationError("A direct conversation needs someone else.")
        if self._is_bot(other) or self._is_bot(name):
            raise ValidationError(f"{other} is a bot: talk to bots with /commands in a room.")
        key = direct_key(name, other)
        room = await self._store.get_room(key)
        if room is not None:
            return room
        # Spent before the name is looked up: trying names costs too.
        await self._limits.spend(Action.DIRECT, name, origin)
        claimed = await self._store.name_holder(other, name_skeleton(other))
        if claimed is None or user_key(claimed) != user_key(other):  # nobody, or a look-alike
            raise ValidationError(NOBODY.format(name=other))
        members = tuple(sorted((name, claimed), key=user_key))
        room = Room(key, RoomKind.DIRECT, members=members)
        if await self._store.create_room(room, created_by=name):
            for member in members:  # both people's sessions start hearing it
                await self._bus.publish(MembershipChanged(room, member, joined=True))
            return room
        stored = await self._store.get_room(key)  # the other one opened it at the same moment
        if stored is None:
            raise no_such_room(key)
        return stored

    async def readable(self, user_name: str, raw_key: str | None) -> Room:
        """The room if `user_name` may read it: any public room, or a direct conversation they
        are in. Anything else is UnknownRoomError (the same answer for both, on purpose)."""
        key = room_key(raw_key)
        if key == DEFAULT_ROOM:
            return GENERAL
        room = await self._store.get_room(key)
        if room is None:
            raise no_such_room(key)
        if room.kind is RoomKind.DIRECT and user_key(user_name) not in {
            user_key(m) for m in room.members
        }:
            raise no_such_room(key)
        return room

    async def check_member(self, user_name: str, raw_key: str | None) -> Room:
        """The room if `user_name` is in it (to post, react or type there)."""
        room = await self.readable(user_name, raw_key)
        if room.kind is RoomKind.PUBLIC and not await self._store.is_member(room.key, user_name):
            raise NotAMemberError(f"Join #{room.key} first.")
        return room

    async def rooms_of(self, user_name: str) -> list[RoomState]:
        return await self._store.rooms_of(clean_user_name(user_name))

    async def public_rooms(self) -> list[Room]:
        """The room directory: the MAX_ROOM_DIRECTORY most recently active public rooms."""
        return await self._store.public_rooms()

    async def members(self, key: str) -> list[str] | None:
        """The room's members, or None for #general (everyone)."""
        if key == DEFAULT_ROOM:
            return None
        return await self._store.members(key)

    async def mark_read(self, user_name: str, key: str, message_id: int) -> None:
        await self._store.mark_read(key, clean_user_name(user_name), message_id)


def _exists(key: str) -> ValidationError:
    return ValidationError(f"#{key} already exists. Choose another name or join it.")


def title_for(room: Room, me: str | None) -> str:
    """How the room is named to `me`: "#dev" or, for a direct conversation, "@" + the other."""
    if room.kind is RoomKind.PUBLIC:
        return f"#{room.key}"
    others = [m for m in room.members if me is None or user_key(m) != user_key(me)]
    return "@" + (others[0] if others else (room.members[0] if room.members else "?"))
