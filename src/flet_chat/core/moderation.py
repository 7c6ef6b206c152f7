"""Moderation: what owners, moderators and chat admins may do to rooms, members and messages.

Ranks: member 0 < moderator 1 < owner 2 < chat admin 3 (accounts' Role.ADMIN, in every room;
in #general, which has no owner, admins are the moderators). Nobody acts on someone of equal
or higher rank, nor on themselves. Targets are claimed names, exactly (a look-alike names
nobody); bots are configured by whoever runs the server and are never moderated by name.

Every action is checked here, stored, written to the audit log, then published on the bus, so
every process (Flet sessions and Socket.IO clients alike) hears it at once.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from flet_chat.core.attachments import forget_blobs
from flet_chat.core.errors import NO_SUCH_MESSAGE, ChatError, ForbiddenError, ValidationError
from flet_chat.core.events import MembershipChanged, MessageChanged, ModerationChanged, RoomChanged
from flet_chat.core.limits import (
    DEFAULT_ROOM,
    MAX_AUDIT_PAGE,
    MAX_MESSAGE_ID,
    MAX_MUTE_MINUTES,
    MAX_REASON_LENGTH,
    MAX_SLOW_MODE_SECONDS,
    REPORT_CONTEXT,
)
from flet_chat.core.models import AuthorKind, Message, MessageKind, Room, RoomKind, RoomRole
from flet_chat.core.moderation_models import (
    EVERYWHERE,
    AuditEntry,
    ModerationAction,
    NewAuditEntry,
    NewReport,
    OpenReport,
    Report,
    ReportResolution,
)
from flet_chat.core.names import name_skeleton
from flet_chat.core.ports import BlobStore, EventBus, MessageStore, ModerationStore, RoomStore
from flet_chat.core.rate_limit import Action, Budget, Charge, Origin, RateLimits
from flet_chat.core.room_service import (
    GENERAL,
    NOBODY,
    ArchivedError,
    RoomService,
    SlowModeError,
    no_such_room,
)
from flet_chat.core.rooms import NotAMemberError, UnknownRoomError, room_key, user_key
from flet_chat.core.validation import clean_user_name

MEMBER, MODERATOR, OWNER, ADMIN = 0, 1, 2, 3
NOT_IN_ROOM = -1
_RANKS = {RoomRole.MEMBER: MEMBER, RoomRole.MODERATOR: MODERATOR, RoomRole.OWNER: OWNER}
_RANK_NAMES = {MODERATOR: "a moderator", OWNER: "the owner", ADMIN: "an admin"}
_REMOVABLE = frozenset({MessageKind.CHAT, MessageKind.ACTION})
_REPORTABLE = frozenset({MessageKind.CHAT, MessageKind.ACTION, MessageKind.TOPIC})

ADMINS_ONLY = "Only chat admins can do that."
NO_STORE = "Moderation is not available on this server."
NOT_YOURSELF = "You cannot do that to yourself."
NO_DIRECT = "A direct conversation has no moderators."
CANNOT_REMOVE = "You cannot remove that message."
RESOLVED_ALREADY = "That report was resolved already."


def _forbidden_in(room: str) -> ForbiddenError:
    return ForbiddenError(f"Only #{room}'s moderators can do that.")


def clean_reason(raw: str | None, *, required: bool = False) -> str | None:
    """A reason as stored: one line, at most MAX_REASON_LENGTH characters."""
    text = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if not text:
        if required:
            raise ValidationError("Say why (a few words).")
        return None
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationError(f"A reason is at most {MAX_REASON_LENGTH} characters.")
    # Line breaks and tabs went with split(); what is left of controls (NUL, which PostgreSQL
    # refuses) and halves of UTF-16 pairs (which no database encodes) is refused here.
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise ValidationError("A reason cannot contain control or invalid characters.")
    return text


class Moderation:
    """`chat.moderation`."""

    def __init__(
        self,
        messages: MessageStore,
        room_store: RoomStore,
        store: ModerationStore | None,
        bus: EventBus,
        rooms: RoomService,
        limits: RateLimits,
        *,
        is_admin: Callable[[str], Awaitable[bool]] | None = None,
        is_bot: Callable[[str], bool] = lambda _name: False,
        ban_account: Callable[[str], Awaitable[None]] | None = None,
        blobs: BlobStore | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._messages = messages
        self._room_store = room_store
        self._store = store
        self._bus = bus
        self._rooms = rooms
        self._limits = limits
        self._is_admin = is_admin
        self._is_bot = is_bot
        self._ban_account = ban_account  # ends every session of the account (AccountService)
        self._blobs = blobs
        self._clock = clock

    # -- who may do what ------------------------------------------------------------------------

    async def is_admin(self, user_name: str) -> bool:
        return self._is_admin is not None and await self._is_admin(user_name)

    async def rank(self, user_name: str, room: Room) -> int:
        """ADMIN, OWNER, MODERATOR, MEMBER, or NOT_IN_ROOM."""
        if await self.is_admin(user_name):
            return ADMIN
        if room.key == DEFAULT_ROOM:
            return MEMBER
        if room.kind is RoomKind.DIRECT:
            return MEMBER if user_key(user_name) in {user_key(m) for m in room.members} else -1
        standing = await self._room_store.membership(room.key, user_name)
        return NOT_IN_ROOM if standing is None else _RANKS[standing.role]

    async def role_in(self, user_name: str, raw_key: str) -> RoomRole | None:
        """The user's role in a room they can read (None in #general or a direct room, or if
        they are not a member)."""
        room = await self._rooms.readable(user_name, raw_key)
        if room.key == DEFAULT_ROOM or room.kind is RoomKind.DIRECT:
            return None
        standing = await self._room_store.membership(room.key, user_name)
        return None if standing is None else standing.role

    async def can_moderate(self, user_name: str, raw_key: str) -> bool:
        """Whether the user may remove messages, mute, kick and ban in that room."""
        try:
            room = await self._rooms.readable(user_name, raw_key)
        except UnknownRoomError:
            return False
        return room.kind is not RoomKind.DIRECT and await self.rank(user_name, room) >= MODERATOR

    async def _moderated(
        self, actor: str, raw_key: str, *, at_least: int = MODERATOR
    ) -> tuple[Room, int]:
        """The room and the actor's rank there, if it is at least `at_least`. Admins reach any
        public or private room; anyone else who cannot read the room hears it does not exist."""
        key = room_key(raw_key)
        if await self.is_admin(actor):
            room = GENERAL if key == DEFAULT_ROOM else await self._room_store.get_room(key)
            if room is None:
                raise no_such_room(key)
            rank = ADMIN
        else:
            room = await self._rooms.readable(actor, key)
            rank = await self.rank(actor, room)
        if room.kind is RoomKind.DIRECT:
            raise ForbiddenError(NO_DIRECT)
        if rank < at_least:
            if at_least >= OWNER:
                raise ForbiddenError(f"Only #{room.key}'s owner can do that.")
            raise _forbidden_in(room.key)
        return room, rank

    async def _target(self, raw_name: str) -> str:
        """The claimed name `raw_name` is, exactly as it was claimed."""
        name = clean_user_name(raw_name)
        if self._is_bot(name):
            raise ValidationError(f"{name} is a bot: bots are set up by whoever runs the server.")
        holder = await self._room_store.name_holder(name, name_skeleton(name))
        if holder is None or user_key(unicodedata.normalize("NFKC", holder)) != user_key(name):
            raise ValidationError(NOBODY.format(name=name))  # nobody, or only a look-alike
        return holder

    async def _outranked(self, actor: str, actor_rank: int, target: str, room: Room) -> int:
        if user_key(actor) == user_key(target):
            raise ForbiddenError(NOT_YOURSELF)
        rank = await self.rank(target, room)
        if rank >= actor_rank:
            raise ForbiddenError(f"{target} is {_RANK_NAMES.get(rank, 'your equal')} here.")
        return rank

    def _needs_store(self) -> ModerationStore:
        if self._store is None:
            raise ChatError(NO_STORE)
        return self._store

    async def _spend(self, actor: str, origin: Origin | None) -> None:
        await self._limits.spend(Action.MODERATE, actor, origin)

    async def _audit(self, entry: NewAuditEntry) -> None:
        if self._store is not None:  # always wired in bootstrap(); absent in some unit tests
            await self._store.add_audit(entry, self._clock())

    # -- members ---------------------------------------------------------------------------------

    async def invite(
        self, actor: str, raw_key: str, user_name: str, *, origin: Origin | None = None
    ) -> Room:
        """Add someone to a private room (its owner or moderators, or an admin) or a public one
        (any member). Their sessions on every process see the room at once."""
        actor = clean_user_name(actor)
        room = await self._rooms.readable(actor, raw_key)
        if room.key == DEFAULT_ROOM or room.kind is RoomKind.DIRECT:
            raise ValidationError("Nobody can be invited there.")
        if room.archived:
            raise ArchivedError(room.key)
        rank = await self.rank(actor, room)
        needed = MODERATOR if room.kind is RoomKind.PRIVATE else MEMBER
        if rank == NOT_IN_ROOM:
            raise NotAMemberError(f"Join #{room.key} first.")
        if rank < needed:
            raise _forbidden_in(room.key)
        await self._spend(actor, origin)  # before the name is looked up: trying names costs
        target = await self._target(user_name)
        store = self._needs_store()
        if await store.is_banned(room.key, target):
            raise ForbiddenError(f"{target} is banned from #{room.key}.")
        if not await self._room_store.add_member(room.key, target):
            raise ValidationError(f"{target} is in #{room.key} already.")
        if await store.is_banned(room.key, target):  # a ban that landed since found no row
            await self._room_store.remove_member(room.key, target)
            raise ForbiddenError(f"{target} is banned from #{room.key}.")
        await self._audit(NewAuditEntry(actor, ModerationAction.INVITE, target, room.key))
        await self._bus.publish(MembershipChanged(room, target, joined=True))
        return room

    async def mute(
        self,
        actor: str,
        raw_key: str,
        user_name: str,
        minutes: int,
        *,
        reason: str | None = None,
        origin: Origin | None = None,
    ) -> datetime:
        """Mute a member for `minutes`: they read, but cannot post, react or edit there until
        the time returned."""
        actor = clean_user_name(actor)
        if not 1 <= minutes <= MAX_MUTE_MINUTES:
            raise ValidationError(f"Mute for 1 to {MAX_MUTE_MINUTES} minutes.")
        why = clean_reason(reason)
        room, rank = await self._moderated(actor, raw_key)
        await self._spend(actor, origin)  # before the name is looked up: trying names costs
        target = await self._target(user_name)
        if await self._outranked(actor, rank, target, room) == NOT_IN_ROOM:
            raise ValidationError(f"{target} is not in #{room.key}.")
        until = self._clock() + timedelta(minutes=minutes)
        if not await self._room_store.set_muted(room.key, target, until):
            raise ValidationError(f"{target} is not in #{room.key}.")
        detail = f"{minutes} min"  # until: the entry's time plus these (admin views show it)
        await self._audit(
            NewAuditEntry(actor, ModerationAction.MUTE, target, room.key, reason=why, detail=detail)
        )
        await self._bus.publish(ModerationChanged(room.key, target, ModerationAction.MUTE, until))
        return until

    async def unmute(
        self, actor: str, raw_key: str, user_name: str, *, origin: Origin | None = None
    ) -> None:
        actor = clean_user_name(actor)
        room, rank = await self._moderated(actor, raw_key)
        await self._spend(actor, origin)  # before the name is looked up: trying names costs
        target = await self._target(user_name)
        await self._outranked(actor, rank, target, room)
        if not await self._room_store.set_muted(room.key, target, None):
            raise ValidationError(f"{target} is not in #{room.key}.")
        await self._audit(NewAuditEntry(actor, ModerationAction.UNMUTE, target, room.key))
        await self._bus.publish(ModerationChanged(room.key, target, ModerationAction.UNMUTE))

    async def kick(
        self,
        actor: str,
        raw_key: str,
        user_name: str,
        *,
        reason: str | None = None,
        origin: Origin | None = None,
    ) -> None:
        """Remove a member (they may join a public room again, unless banned)."""
        actor = clean_user_name(actor)
        why = clean_reason(reason)
        room, rank = await self._moderated(actor, raw_key)
        if room.key == DEFAULT_ROOM:
            raise ValidationError("Everyone is in #general: mute them, or ban them from the chat.")
        await self._spend(actor, origin)  # before the name is looked up: trying names costs
        target = await self._target(user_name)
        await self._outranked(actor, rank, target, room)
        if not await self._room_store.remove_member(room.key, target):
            raise ValidationError(f"{target} is not in #{room.key}.")
        await self._audit(NewAuditEntry(actor, ModerationAction.KICK, target, room.key, reason=why))
        await self._bus.publish(MembershipChanged(room, target, joined=False))
        await self._bus.publish(ModerationChanged(room.key, target, ModerationAction.KICK))

    async def ban(
        self,
        actor: str,
        user_name: str,
        raw_key: str | None = None,
        *,
        reason: str | None = None,
        origin: Origin | None = None,
    ) -> None:
        """Ban from a room (removed, cannot rejoin nor be invited until unbanned) or, without a
        room, from the whole chat (admins only): every session of that account ends on every
        process at once, and it cannot sign in again."""
        actor = clean_user_name(actor)
        why = clean_reason(reason)
        if raw_key is None:
            await self._ban_everywhere(actor, user_name, why, origin)
            return
        room, rank = await self._moderated(actor, raw_key)
        if room.key == DEFAULT_ROOM:
            raise ValidationError("Nobody is banned from #general alone: ban them from the chat.")
        await self._spend(actor, origin)  # before the name is looked up: trying names costs
        target = await self._target(user_name)
        await self._outranked(actor, rank, target, room)
        store = self._needs_store()
        added = await store.add_ban(room.key, target, banned_by=actor, reason=why, at=self._clock())
        removed = await self._room_store.remove_member(room.key, target)
        if not added and not removed:  # nothing changed: no second entry in the log
            raise ValidationError(f"{target} is banned from #{room.key} already.")
        await self._audit(NewAuditEntry(actor, ModerationAction.BAN, target, room.key, reason=why))
        if removed:
            await self._bus.publish(MembershipChanged(room, target, joined=False))
        await self._bus.publish(ModerationChanged(room.key, target, ModerationAction.BAN))

    async def _ban_everywhere(
        self, actor: str, user_name: str, why: str | None, origin: Origin | None
    ) -> None:
        if not await self.is_admin(actor):
            raise ForbiddenError(ADMINS_ONLY)
        await self._spend(actor, origin)  # before the name is looked up: trying names costs
        target = await self._target(user_name)
        if user_key(target) == user_key(actor):
            raise ForbiddenError(NOT_YOURSELF)
        if await self.is_admin(target):
            raise ForbiddenError(f"{target} is an admin here.")
        store = self._needs_store()
        added = await store.add_ban(
            EVERYWHERE, target, banned_by=actor, reason=why, at=self._clock()
        )
        if self._ban_account is not None:
            # Publishes SessionsEnded. Again for a repeated ban: one that stopped half-way
            # (after the row, before this) is finished by banning again.
            await self._ban_account(target)
        if not added:
            raise ValidationError(f"{target} is banned from the chat already.")
        await self._audit(NewAuditEntry(actor, ModerationAction.GLOBAL_BAN, target, reason=why))
        await self._bus.publish(ModerationChanged(EVERYWHERE, target, ModerationAction.GLOBAL_BAN))

    async def unban(
        self,
        actor: str,
        user_name: str,
        raw_key: str | None = None,
        *,
        origin: Origin | None = None,
    ) -> None:
        actor = clean_user_name(actor)
        store = self._needs_store()
        if raw_key is None:
            if not await self.is_admin(actor):
                raise ForbiddenError(ADMINS_ONLY)
            key, action = EVERYWHERE, ModerationAction.GLOBAL_UNBAN
        else:
            room, _rank = await self._moderated(actor, raw_key)
            key, action = room.key, ModerationAction.UNBAN
        await self._spend(actor, origin)  # before the name is looked up: trying names costs
        target = await self._target(user_name)
        if not await store.remove_ban(key, target):
            raise ValidationError(f"{target} is not banned.")
        await self._audit(NewAuditEntry(actor, action, target, None if key == EVERYWHERE else key))
        await self._bus.publish(ModerationChanged(key, target, action))

    async def banned(self, actor: str, raw_key: str | None = None) -> list[str]:
        """Who is banned from a room (its moderators ask) or from the chat (admins ask)."""
        actor = clean_user_name(actor)
        if raw_key is None:
            if not await self.is_admin(actor):
                raise ForbiddenError(ADMINS_ONLY)
            return await self._needs_store().banned(EVERYWHERE)
        room, _rank = await self._moderated(actor, raw_key)
        return await self._needs_store().banned(room.key)

    # -- the room ------------------------------------------------------------------------------

    async def set_slow_mode(
        self, actor: str, raw_key: str, seconds: int, *, origin: Origin | None = None
    ) -> Room:
        """One message per member per `seconds` (0: off); moderators are exempt."""
        actor = clean_user_name(actor)
        if not 0 <= seconds <= MAX_SLOW_MODE_SECONDS:
            raise ValidationError(f"Slow mode is 0 (off) to {MAX_SLOW_MODE_SECONDS} seconds.")
        room, _rank = await self._moderated(actor, raw_key)
        await self._spend(actor, origin)
        await self._room_store.set_slow_mode(room.key, seconds)
        changed = await self._room_store.get_room(room.key) or room
        await self._audit(
            NewAuditEntry(actor, ModerationAction.SLOW_MODE, room=room.key, detail=f"{seconds} s")
        )
        await self._bus.publish(RoomChanged(changed, created=False))
        return changed

    async def slow_down(self, user_name: str, room: Room, origin: Origin | None) -> None:
        """Spend the user's slow-mode token in `room` (held in the rate-limit backend, so in
        Redis across processes); moderators and admins are exempt."""
        seconds = room.slow_mode_seconds
        if seconds <= 0 or await self.rank(user_name, room) >= MODERATOR:
            return
        key = f"slow:{room.key}:{seconds}:{user_key(user_name)}"
        if not await self._limits.limiter.take([Charge(key, Budget(1.0, 1.0 / seconds))]):
            raise SlowModeError(room.key, seconds)

    async def set_role(
        self,
        actor: str,
        raw_key: str,
        user_name: str,
        role: RoomRole,
        *,
        origin: Origin | None = None,
    ) -> None:
        """Make a member a moderator, or a moderator a member again (the owner or an admin)."""
        actor = clean_user_name(actor)
        if role is RoomRole.OWNER:
            raise ValidationError("Transfer the room to make someone its owner.")
        room, rank = await self._moderated(actor, raw_key, at_least=OWNER)
        if room.key == DEFAULT_ROOM:
            raise ValidationError("#general's moderators are the chat's admins.")
        await self._spend(actor, origin)  # before the name is looked up: trying names costs
        target = await self._target(user_name)
        target_rank = await self._outranked(actor, rank, target, room)
        if target_rank == NOT_IN_ROOM:
            raise ValidationError(f"{target} is not in #{room.key}.")
        if target_rank == OWNER:  # an admin demoting the owner would leave the room without one
            raise ValidationError(f"Transfer #{room.key} to change its owner: {target} owns it.")
        if not await self._room_store.set_role(room.key, target, role):
            raise ValidationError(f"{target} is not in #{room.key}.")
        await self._audit(
            NewAuditEntry(actor, ModerationAction.SET_ROLE, target, room.key, detail=role.value)
        )
        await self._bus.publish(
            ModerationChanged(room.key, target, ModerationAction.SET_ROLE, role=role.value)
        )

    async def transfer(
        self, actor: str, raw_key: str, user_name: str, *, origin: Origin | None = None
    ) -> None:
        """Make a member the owner; the owner becomes a moderator."""
        actor = clean_user_name(actor)
        room, _rank = await self._moderated(actor, raw_key, at_least=OWNER)
        if room.key == DEFAULT_ROOM:
            raise ValidationError("#general has no owner.")
        await self._spend(actor, origin)  # before the name is looked up: trying names costs
        target = await self._target(user_name)
        members = await self._room_store.memberships(room.key)
        owner = next((m.user_name for m in members if m.role is RoomRole.OWNER), None)
        if owner is not None and user_key(target) == user_key(owner):
            raise ValidationError(f"{target} owns #{room.key} already.")
        if owner is None:  # its owner was removed by an admin: an admin names a new one
            if not await self._room_store.set_role(room.key, target, RoomRole.OWNER):
                raise ValidationError(f"{target} is not in #{room.key}.")
            await self._audit(NewAuditEntry(actor, ModerationAction.TRANSFER, target, room.key))
            await self._bus.publish(
                ModerationChanged(
                    room.key, target, ModerationAction.TRANSFER, role=RoomRole.OWNER.value
                )
            )
            return
        if not await self._room_store.transfer_ownership(room.key, owner, target):
            raise ValidationError(f"{target} is not in #{room.key}.")
        await self._audit(
            NewAuditEntry(actor, ModerationAction.TRANSFER, target, room.key, detail=owner)
        )
        for name, role in ((target, RoomRole.OWNER), (owner, RoomRole.MODERATOR)):
            await self._bus.publish(
                ModerationChanged(room.key, name, ModerationAction.TRANSFER, role=role.value)
            )

    async def archive(
        self, actor: str, raw_key: str, *, archived: bool = True, origin: Origin | None = None
    ) -> Room:
        """Archive (read-only, hidden from everyone but its members) or bring back a room."""
        actor = clean_user_name(actor)
        room, _rank = await self._moderated(actor, raw_key, at_least=OWNER)
        if room.key == DEFAULT_ROOM:
            raise ValidationError("#general cannot be archived.")
        await self._spend(actor, origin)
        await self._room_store.set_archived(room.key, archived)
        changed = await self._room_store.get_room(room.key) or room
        action = ModerationAction.ARCHIVE if archived else ModerationAction.UNARCHIVE
        await self._audit(NewAuditEntry(actor, action, room=room.key))
        await self._bus.publish(RoomChanged(changed, created=False))
        return changed

    # -- messages --------------------------------------------------------------------------------

    async def may_remove(self, actor: str, message: Message) -> bool:
        """Whether `actor` may remove someone else's message as a moderator (in a room they
        moderate, a message by someone of lower rank; never in a direct conversation)."""
        if message.deleted or message.kind not in _REMOVABLE:
            return False
        room = await self._room_of(message)
        if room is None or room.kind is RoomKind.DIRECT:
            return False
        rank = await self.rank(actor, room)
        if rank < MODERATOR:
            return False
        if message.author_kind is not AuthorKind.USER:
            return True  # a bot's or an integration's words rank as a member's
        return await self.rank(message.user_name, room) < rank

    async def remove_message(
        self,
        actor: str,
        message_id: int,
        *,
        reason: str | None = None,
        origin: Origin | None = None,
    ) -> Message:
        """Remove a message as a moderator; the row reads "removed by a moderator". Admins
        reach every room but direct conversations (a reported direct message: `resolve`)."""
        actor = clean_user_name(actor)
        why = clean_reason(reason)
        message = await self._message(message_id)
        room = await self._room_of(message)
        if room is None or not await self.is_admin(actor):
            try:  # anyone else must be able to read it: the same answer as a missing one
                await self._rooms.readable(actor, message.room)
            except UnknownRoomError:
                raise ValidationError(NO_SUCH_MESSAGE) from None
        if not await self.may_remove(actor, message):
            raise ForbiddenError(CANNOT_REMOVE)
        return await self._remove(actor, message, why, origin)

    async def _remove(
        self, actor: str, message: Message, why: str | None, origin: Origin | None
    ) -> Message:
        await self._spend(actor, origin)
        changed = await self._messages.delete(message.id, by_moderator=True)
        if message.attachments and self._blobs is not None:
            await forget_blobs(self._blobs, message.attachments)  # after the commit
        target = message.user_name if message.author_kind is AuthorKind.USER else None
        await self._audit(
            NewAuditEntry(
                actor,
                ModerationAction.REMOVE_MESSAGE,
                target,
                message.room,
                message_id=message.id,
                reason=why,
            )
        )
        await self._bus.publish(MessageChanged(changed))
        return changed

    async def _message(self, message_id: int) -> Message:
        found = await self._messages.get(message_id) if 0 < message_id <= MAX_MESSAGE_ID else None
        if found is None:
            raise ValidationError(NO_SUCH_MESSAGE)
        return found

    async def _room_of(self, message: Message) -> Room | None:
        if message.room == DEFAULT_ROOM:
            return GENERAL
        return await self._room_store.get_room(message.room)

    # -- reports ---------------------------------------------------------------------------------

    async def report(
        self, reporter: str, message_id: int, reason: str, *, origin: Origin | None = None
    ) -> Report:
        """Report a message the reporter can read to the admins (one open report per reporter
        per message)."""
        reporter = clean_user_name(reporter)
        why = clean_reason(reason, required=True)
        assert why is not None
        await self._limits.spend(Action.REPORT, reporter, origin)
        message = await self._message(message_id)
        try:
            await self._rooms.readable(reporter, message.room)
        except UnknownRoomError:
            raise ValidationError(NO_SUCH_MESSAGE) from None
        if message.deleted or message.kind not in _REPORTABLE:
            raise ValidationError("That message cannot be reported.")
        if message.author_kind is AuthorKind.USER and user_key(message.user_name) == user_key(
            reporter
        ):
            raise ValidationError("You cannot report your own message.")
        new = NewReport(message.id, message.room, reporter, why)
        made = await self._needs_store().add_report(new, self._clock())
        if made is None:
            raise ValidationError("You have reported this message already.")
        return made

    async def open_reports(self, admin: str, *, limit: int = 50) -> list[OpenReport]:
        """Open reports, oldest first, each with its message and a few around it."""
        await self._admin_only(admin)
        reports = await self._needs_store().open_reports(max(1, min(limit, MAX_AUDIT_PAGE)))
        shown = []
        for report in reports:
            message = await self._messages.get(report.message_id)
            page = await self._messages.around(report.room, report.message_id, 2 * REPORT_CONTEXT)
            shown.append(OpenReport(report, message, tuple(page.messages)))
        return shown

    async def resolve(
        self,
        admin: str,
        report_id: int,
        resolution: ReportResolution,
        *,
        minutes: int | None = None,
        reason: str | None = None,
        origin: Origin | None = None,
    ) -> Report:
        """Close a report: dismiss it, or act on the message's author through the methods
        above (the same checks: an admin's message cannot be removed, nor an admin banned)."""
        admin = clean_user_name(admin)
        await self._admin_only(admin)
        store = self._needs_store()
        report = await store.report(report_id) if 0 < report_id <= MAX_MESSAGE_ID else None
        if report is None:
            raise ValidationError("There is no such report.")
        if not report.is_open:
            raise ValidationError(RESOLVED_ALREADY)
        why = clean_reason(reason) or report.reason
        # Closed first, so of two admins resolving it at once only one acts; opened again if
        # the action is refused.
        closed = await store.resolve_report(
            report.id, by=admin, resolution=resolution, at=self._clock()
        )
        if closed is None:
            raise ValidationError(RESOLVED_ALREADY)
        if resolution is not ReportResolution.DISMISS:
            try:
                await self._act_on(admin, report, resolution, minutes, why, origin)
            except BaseException:
                await store.reopen_report(report.id)
                raise
        await self._audit(
            NewAuditEntry(
                admin,
                ModerationAction.RESOLVE_REPORT,
                room=report.room,
                message_id=report.message_id,
                reason=why,
                detail=resolution.value,
            )
        )
        return closed

    async def _act_on(
        self,
        admin: str,
        report: Report,
        resolution: ReportResolution,
        minutes: int | None,
        why: str | None,
        origin: Origin | None,
    ) -> None:
        message = await self._message(report.message_id)
        author = message.user_name
        if message.author_kind is not AuthorKind.USER and resolution is not (
            ReportResolution.DELETE
        ):
            raise ValidationError("A bot's or an integration's message can only be removed.")
        if resolution is ReportResolution.DELETE:
            if message.deleted:
                return  # its author deleted it meanwhile
            if not await self.may_remove(admin, message) and not await self._in_direct(message):
                raise ForbiddenError(CANNOT_REMOVE)
            await self._remove(admin, message, why, origin)
        elif resolution is ReportResolution.MUTE:
            await self.mute(admin, report.room, author, minutes or 60, reason=why, origin=origin)
        elif resolution is ReportResolution.BAN:
            await self.ban(admin, author, report.room, reason=why, origin=origin)
        else:
            await self.ban(admin, author, reason=why, origin=origin)

    async def _in_direct(self, message: Message) -> bool:
        """A reported direct message: admins may remove it (but never an admin's)."""
        room = await self._room_of(message)
        return (
            room is not None
            and room.kind is RoomKind.DIRECT
            and not message.deleted
            and message.kind in _REMOVABLE
            and not await self.is_admin(message.user_name)
        )

    # -- the audit log ---------------------------------------------------------------------------

    async def audit_log(
        self, admin: str, *, limit: int = 50, before: int | None = None
    ) -> list[AuditEntry]:
        """Every moderation action, newest first (admins only)."""
        await self._admin_only(admin)
        limit = max(1, min(limit, MAX_AUDIT_PAGE))
        return await self._needs_store().audit_log(limit, before)

    async def _admin_only(self, user_name: str) -> None:
        if not await self.is_admin(clean_user_name(user_name)):
            raise ForbiddenError(ADMINS_ONLY)
