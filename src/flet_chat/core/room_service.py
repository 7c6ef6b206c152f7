"""RoomService: rooms and direct conversations, who is in them, and how far each user has read.

Every check that keeps a room private lives here, on the server: a client that names a direct
conversation it is not in hears that no such room exists, and is never subscribed to its events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flet_chat.core.errors import ChatError, ForbiddenError, RateLimitedError, ValidationError
from flet_chat.core.events import LocalEvent, MembershipChanged, ModerationChanged, RoomChanged
from flet_chat.core.limits import DEFAULT_ROOM, ROOMS_PER_USER_PER_DAY
from flet_chat.core.models import Membership, Room, RoomKind, RoomRole, RoomState
from flet_chat.core.moderation_models import EVERYWHERE
from flet_chat.core.names import name_skeleton
from flet_chat.core.ports import EventBus, ModerationStore, RoomStore
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
from flet_chat.core.standing_cache import Answer, Began, StandingCache
from flet_chat.core.validation import clean_user_name

logger = logging.getLogger(__name__)

GENERAL = Room(DEFAULT_ROOM, RoomKind.PUBLIC)
DAILY_ROOMS = (
    f"You can create at most {ROOMS_PER_USER_PER_DAY} rooms a day. Join an existing room,"
    " or try again tomorrow."
)
NOBODY = "There is nobody called {name} here."


def no_such_room(key: str) -> UnknownRoomError:
    shown = "that conversation" if is_direct(key) else f"#{key}"
    return UnknownRoomError(f"There is no room {shown}.")


def clock_time(moment: datetime, now: datetime) -> str:
    """ "20:45 UTC" (with the date when it is not the day of `now`, the service's clock): what
    a refusal shows of a time."""
    utc = moment.astimezone(UTC)
    today = now.astimezone(UTC).date()
    shown = utc.strftime("%H:%M") if utc.date() == today else utc.strftime("%Y-%m-%d %H:%M")
    return f"{shown} UTC"


class MutedError(ForbiddenError):
    """The user is muted in the room: they read, but cannot post, react or edit there."""

    def __init__(self, room: str, until: datetime, now: datetime) -> None:
        super().__init__(f"You are muted in #{room} until {clock_time(until, now)}.")
        self.room = room
        self.until = until


class ArchivedError(ForbiddenError):
    """The room is archived: read-only for everyone."""

    def __init__(self, room: str) -> None:
        super().__init__(f"#{room} is archived: it is read-only.")
        self.room = room


class BannedError(ForbiddenError):
    """Banned from the room (or from the chat)."""


class SlowModeError(RateLimitedError):
    """Slow mode: one message per member per `seconds` in the room."""

    def __init__(self, room: str, seconds: int) -> None:
        super().__init__(
            f"Slow mode is on in #{room}: one message every {seconds} seconds. Wait a moment."
        )
        self.room = room
        self.seconds = seconds


class RoomService:
    def __init__(
        self,
        store: RoomStore,
        bus: EventBus,
        limits: RateLimits,
        is_bot: Callable[[str], bool] = lambda _name: False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        bans: ModerationStore | None = None,
        standings: StandingCache | None = None,
    ) -> None:
        """With `standings`, what lets a user write in a room is kept a few seconds
        (core/standing_cache.py); whoever passes it must hand `on_event` every event of the
        process bus."""
        self._store = store
        self._standings = standings
        self._bus = bus
        self._limits = limits  # rooms stay forever: making them has budgets of its own
        self._clock = clock
        self._is_bot = is_bot  # bots never post in direct conversations: none is opened with one
        self._bans = bans  # None: nobody is ever banned (tests of other things)
        self._reading_again: set[asyncio.Task[None]] = set()

    async def create(
        self,
        user_name: str,
        raw_name: str,
        *,
        private: bool = False,
        origin: Origin | None = None,
    ) -> Room:
        """A new public (or, `private`, invite-only) room with its creator in it as its owner.
        Budgets: a few in a row, then one a minute; at most ROOMS_PER_USER_PER_DAY a day per
        user (counted in the database, so on every process) and a daily number per IP."""
        name = clean_user_name(user_name)
        kind = RoomKind.PRIVATE if private else RoomKind.PUBLIC
        room = Room(clean_room_name(raw_name), kind, members=(name,))
        existing = await self._store.get_room(room.key)
        if existing is not None:
            # Names are one namespace, so a taken name is known to be taken. A room the user
            # can see is refused for free; one they cannot (private, archived) costs a room
            # token first, so nobody probes for private rooms' names at will.
            if not await self._sees(name, existing):
                await self._limits.spend(Action.ROOM, name, origin)
            raise _exists(room.key)
        since = self._clock() - timedelta(days=1)
        if await self._store.rooms_created_since(name, since) >= ROOMS_PER_USER_PER_DAY:
            raise RateLimitedError(DAILY_ROOMS)
        await self._limits.spend(Action.ROOM, name, origin)
        if not await self._store.create_room(room, created_by=name):
            raise _exists(room.key)
        made = Room(room.key, kind)
        if kind is RoomKind.PUBLIC:  # a private room is nobody else's news
            await self._bus.publish(RoomChanged(made))
        await self._bus.publish(MembershipChanged(made, name, joined=True))
        return made

    async def join_or_create(
        self, user_name: str, raw_name: str, *, origin: Origin | None = None
    ) -> Room:
        """Join the public room of that name, or create it if there is none."""
        key = clean_room_name(raw_name)
        existing = await self._store.get_room(key)
        if existing is not None:  # joined if it may be; a private one answers as missing
            if not await self._sees(clean_user_name(user_name), existing):
                # What `create` charges for a name taken by a room the user cannot see: else
                # guessing private rooms' names here would be free.
                await self._limits.spend(Action.ROOM, clean_user_name(user_name), origin)
            return await self.join(user_name, key)
        return await self.create(user_name, key, origin=origin)

    async def join(self, user_name: str, raw_key: str | None) -> Room:
        """Join a public room (a no-op for a room the user is in); a direct conversation can
        only be "joined" by its two people, who are in it from the start, and a private room
        only by its members (who were invited). Nobody joins an archived room or one they are
        banned from."""
        name = clean_user_name(user_name)
        room = await self.readable(name, raw_key)
        if room.kind is not RoomKind.PUBLIC or room.key == DEFAULT_ROOM:
            return room
        if await self._store.is_member(room.key, name):
            return room
        if room.archived:
            raise ArchivedError(room.key)
        await self.refuse_banned(name, room.key)
        if await self._store.add_member(room.key, name):
            try:  # a ban that landed since the check found no row to remove: this one goes
                await self.refuse_banned(name, room.key)
            except BannedError:
                await self._store.remove_member(room.key, name)
                raise
            await self._bus.publish(MembershipChanged(room, name, joined=True))
        return room

    async def refuse_banned(self, user_name: str, key: str) -> None:
        """BannedError if the user is banned from room `key` or from the chat."""
        if self._bans is not None and await self._bans.is_banned(key, user_name):
            shown = "this chat" if key == EVERYWHERE else f"#{key}"
            raise BannedError(f"You are banned from {shown}.")

    async def leave(self, user_name: str, key: str) -> None:
        name = clean_user_name(user_name)
        room = await self.readable(name, key)
        if room.key == DEFAULT_ROOM:
            raise ValidationError("Everyone stays in #general; it cannot be left.")
        if room.kind is RoomKind.DIRECT:
            raise ValidationError("A direct conversation cannot be left.")
        standing = await self._store.membership(room.key, name)
        if standing is not None and standing.role is RoomRole.OWNER:
            raise ValidationError(
                f"You own #{room.key}: transfer it to another member before leaving."
            )
        if (
            room.kind is RoomKind.PUBLIC
            and standing is not None
            and standing.muted_until is not None
            and standing.muted_at(self._clock())
        ):
            # Leaving and joining again would shed the mute (it lives on the member row).
            raise ForbiddenError(
                f"You are muted in #{room.key} until"
                f" {clock_time(standing.muted_until, self._clock())}:"
                " you can leave it after that."
            )
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
        """The room if `user_name` may read it: a public room that is not archived, or a room
        they are in (a direct conversation, a private or an archived room). Anything else is
        UnknownRoomError, the same answer as for a room that does not exist, on purpose: nobody
        learns which private rooms or direct conversations exist."""
        key = room_key(raw_key)
        if key == DEFAULT_ROOM:
            return GENERAL
        room = await self._store.get_room(key)
        if room is None:
            raise no_such_room(key)
        if room.kind is RoomKind.DIRECT:
            if user_key(user_name) not in {user_key(m) for m in room.members}:
                raise no_such_room(key)
        elif (room.kind is RoomKind.PRIVATE or room.archived) and not await self._store.is_member(
            key, user_name
        ):
            raise no_such_room(key)
        return room

    async def check_member(self, user_name: str, raw_key: str | None) -> Room:
        """The room if `user_name` is in it (to read its members, type there)."""
        room = await self.readable(user_name, raw_key)
        if room.kind is RoomKind.PUBLIC and not await self._store.is_member(room.key, user_name):
            raise NotAMemberError(f"Join #{room.key} first.")
        return room

    def on_event(self, event: LocalEvent) -> None:
        """The process bus's listener: a standing or a room's settings changed somewhere."""
        if self._standings is not None and isinstance(
            event, ModerationChanged | MembershipChanged | RoomChanged
        ):
            self._standings.changed()

    async def writable(self, user_name: str, raw_key: str | None) -> Room:
        """The room if `user_name` may post, react or edit there now: a member, the room not
        archived (ArchivedError), the user not muted (MutedError, which says until when). The
        room comes with its settings (slow mode), #general's too. One store query (what every
        post asks; kept a few seconds with `standings`): the same answers as `readable` for
        rooms the user may not see."""
        key = room_key(raw_key)
        standings = self._standings
        if standings is None:
            return self._may_write(key, user_name, await self._store.standing(key, user_name))
        kept_as = (key, user_key(user_name))
        kept = standings.get(kept_as)
        if kept is not None:
            if standings.due(kept_as):
                task = asyncio.create_task(self._read_again(standings, kept_as, key, user_name))
                self._reading_again.add(task)  # held until done: the loop keeps weak refs
                task.add_done_callback(self._reading_again.discard)
                task.add_done_callback(lambda _done: standings.stop_reading(kept_as))
            return self._may_write(key, user_name, kept)
        began = standings.begin()
        answer = await self._store.standing(key, user_name)
        room = self._may_write(key, user_name, answer)  # a refusal is never kept
        standings.keep(kept_as, answer, began)
        return room

    async def _read_again(
        self, standings: StandingCache, kept_as: tuple[str, str], key: str, user_name: str
    ) -> None:
        """A kept standing read again behind the post that used it (StandingCache.due)."""
        began = standings.begin()
        answer: Answer | None = None
        try:
            answer = await self._store.standing(key, user_name)
            self._may_write(key, user_name, answer)
        except ChatError:
            answer = None  # a refusal is never kept: the next post reads it and is refused
        except Exception as error:
            answer = None  # the next post reads it, and meets the failure itself
            logger.warning("could not read a standing again: %r", error)
        finally:
            standings.read_again(kept_as, answer, began)

    async def stop(self) -> None:
        """Ends the standings still being read again (before the store's engine goes)."""
        for task in list(self._reading_again):
            task.cancel()
        await asyncio.gather(*self._reading_again, return_exceptions=True)

    def _may_write(self, key: str, user_name: str, answer: Answer) -> Room:
        room, standing = answer
        if room is None:
            if key == DEFAULT_ROOM:
                room = GENERAL
            else:
                raise no_such_room(key)
        if room.kind is RoomKind.DIRECT:
            if user_key(user_name) not in {user_key(m) for m in room.members}:
                raise no_such_room(key)
            return room  # no roles, mutes or archive in a direct conversation
        if key != DEFAULT_ROOM and standing is None:
            if room.kind is RoomKind.PRIVATE or room.archived:
                raise no_such_room(key)
            raise NotAMemberError(f"Join #{room.key} first.")
        if room.archived:
            raise ArchivedError(room.key)
        if standing is not None and standing.muted_at(self._clock()):
            assert standing.muted_until is not None
            raise MutedError(room.key, standing.muted_until, self._clock())
        return room

    def now(self) -> datetime:
        return self._clock()

    async def _sees(self, user_name: str, room: Room) -> bool:
        try:
            await self.readable(user_name, room.key)
        except UnknownRoomError:
            return False
        return True

    async def rooms_of(self, user_name: str) -> list[RoomState]:
        name = clean_user_name(user_name)
        standings = self._standings
        if standings is None:
            return await self._store.rooms_of(name)
        began = standings.begin()
        states = await self._store.rooms_of(name)
        self._keep_general_standing(standings, name, states, began)
        return states

    def _keep_general_standing(
        self, standings: StandingCache, name: str, states: list[RoomState], began: Began
    ) -> None:
        """A user's rooms come with #general's settings and their mute there, which is all
        `_may_write` asks of a standing in #general (no role). Kept as if a standing read had
        begun at `began`, so the composer's check right after a join asks the store nothing."""
        general = next((state for state in states if state.room.key == DEFAULT_ROOM), None)
        if general is None:
            return
        muted = general.muted_until
        mute = Membership(DEFAULT_ROOM, name, muted_until=muted) if muted is not None else None
        answer: Answer = (general.room, mute)
        try:
            self._may_write(DEFAULT_ROOM, name, answer)
        except ChatError:
            return  # a refusal is never kept
        standings.keep((DEFAULT_ROOM, user_key(name)), answer, began)

    async def public_rooms(self) -> list[Room]:
        """The room directory: the MAX_ROOM_DIRECTORY most recently active public rooms (never
        a private or an archived one)."""
        return await self._store.public_rooms()

    async def members(self, key: str) -> list[str] | None:
        """The room's members, or None for #general (everyone). The caller has checked that
        its user may read the room (check_member)."""
        if key == DEFAULT_ROOM:
            return None
        return await self._store.members(key)

    async def memberships(self, user_name: str, raw_key: str) -> list[Membership]:
        """The members of a room the user is in, with their roles and mutes."""
        room = await self.check_member(user_name, raw_key)
        if room.key == DEFAULT_ROOM or room.kind is RoomKind.DIRECT:
            return []
        return await self._store.memberships(room.key)

    async def mark_read(self, user_name: str, key: str, message_id: int) -> None:
        await self._store.mark_read(key, clean_user_name(user_name), message_id)


def _exists(key: str) -> ValidationError:
    return ValidationError(f"#{key} already exists. Choose another name or join it.")


def title_for(room: Room, me: str | None) -> str:
    """How the room is named to `me`: "#dev" or, for a direct conversation, "@" + the other."""
    if room.kind is not RoomKind.DIRECT:
        return f"#{room.key}"
    others = [m for m in room.members if me is None or user_key(m) != user_key(me)]
    return "@" + (others[0] if others else (room.members[0] if room.members else "?"))
