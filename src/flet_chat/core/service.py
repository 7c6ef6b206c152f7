"""ChatService: validate, then store (commit), then publish. The only way messages are made."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

from flet_chat.core.errors import NameTakenError, ValidationError
from flet_chat.core.events import MessagePosted, PresenceChanged, UserTyping
from flet_chat.core.limits import (
    AROUND_PAGE_SIZE,
    DEFAULT_ROOM,
    HISTORY_PAGE_SIZE,
    MAX_MESSAGE_ID,
    MAX_TOPIC_LENGTH,
    NOTICE_CROWD,
    RETURN_WINDOW_SECONDS,
    TYPING_INTERVAL_SECONDS,
)
from flet_chat.core.mentions import mentioned_names
from flet_chat.core.message_actions import MessageActions
from flet_chat.core.models import (
    Attachment,
    AuthorKind,
    HistoryPage,
    Message,
    MessageKind,
    NewMessage,
    Room,
    RoomKind,
)
from flet_chat.core.moderation import Moderation
from flet_chat.core.names import ReservedNames, name_skeleton
from flet_chat.core.ports import (
    BlobStore,
    EventBus,
    MessageStore,
    ModerationStore,
    Presence,
    RoomStore,
)
from flet_chat.core.rate_limit import REFUSALS, Action, Origin, RateLimits
from flet_chat.core.room_service import ArchivedError, RoomService, no_such_room
from flet_chat.core.rooms import room_key, user_key
from flet_chat.core.search import MessageSearch
from flet_chat.core.standing_cache import StandingCache
from flet_chat.core.throttle import Throttle
from flet_chat.core.validation import clean_message_text, clean_topic, clean_user_name

logger = logging.getLogger(__name__)

# What a client may post; join and leave notices are the service's own.
_POSTABLE = frozenset({MessageKind.CHAT, MessageKind.ACTION, MessageKind.TOPIC})
RATE_LIMITED = REFUSALS[Action.MESSAGE]


class ChatService:
    def __init__(
        self,
        store: MessageStore,
        bus: EventBus,
        rate_limits: RateLimits,
        presence: Presence,
        room_store: RoomStore,
        *,
        typing_throttle: Throttle | None = None,
        reserved: ReservedNames | None = None,
        is_admin: Callable[[str], Awaitable[bool]] | None = None,
        blobs: BlobStore | None = None,
        moderation_store: ModerationStore | None = None,
        ban_account: Callable[[str], Awaitable[None]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        standings: StandingCache | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._started_at = clock()  # with the process: see RETURN_WINDOW_SECONDS
        self._left_here: set[str] = set()  # user keys announced gone within that window
        self.reserved = reserved or ReservedNames()
        self._room_store = room_store
        self.limits = rate_limits
        self.rooms = RoomService(
            room_store,
            bus,
            rate_limits,
            self.is_bot,
            clock,
            bans=moderation_store,
            standings=standings,
        )
        self.moderation = Moderation(
            store,
            room_store,
            moderation_store,
            bus,
            self.rooms,
            rate_limits,
            is_admin=is_admin,
            is_bot=self.is_bot,
            ban_account=ban_account,
            blobs=blobs,
            clock=clock,
        )
        self.actions = MessageActions(
            store, bus, self.rooms, self.spend, self.moderation, blobs=blobs
        )
        self.search = MessageSearch(store, room_store, self.rooms, rate_limits)
        self._bus = bus
        self._presence = presence
        # Per process (unlike the rate limits, shared through Redis): a user typing in tabs on
        # two processes may be heard twice per interval, which the indicator does not show.
        self._typing_throttle = typing_throttle or Throttle(TYPING_INTERVAL_SECONDS)
        self._observers: list[Callable[[Message], None]] = []

    def add_observer(self, observer: Callable[[Message], None]) -> None:
        """Called with each message this process stores, after it is published (bots use it:
        every message is seen once in a cluster, by the process that stored it)."""
        self._observers.append(observer)

    def reserve_names(self, names: Iterable[str]) -> None:
        """Names nobody may join as (the bots'), nor anything that looks like one."""
        self.reserved.reserve(names)

    def is_bot(self, name: str) -> bool:
        """A reserved name or a look-alike of one: an in-process bot's or a token bot's."""
        return self.reserved.is_bot(name)

    async def join(
        self,
        user_name: str,
        session_key: str,
        *,
        origin: Origin | None = None,
        returning: bool = False,
    ) -> tuple[str, Message | None]:
        """Mark the session of a user already proven to be `user_name` online (an account's
        session: core/accounts/; a bot's token); returns the name and the join notice, which
        only a user's first session (tab, process or machine) gets. With an `origin`, the
        attempt costs a join from its connection's and IP's budgets; a session resuming after
        a reconnect passes none. `returning`: a tab coming back from a dropped connection; within
        RETURN_WINDOW_SECONDS of this process's start it gets no notice (a restart dropped it)."""
        name = clean_user_name(user_name)
        if origin is not None:
            await self.limits.spend(Action.JOIN, None, origin)
        back = returning and self._just_started() and user_key(name) not in self._left_here
        return await self._enter(name, session_key, announce=not back)

    def _just_started(self) -> bool:
        if (self._clock() - self._started_at).total_seconds() < RETURN_WINDOW_SECONDS:
            return True
        self._left_here.clear()  # only asked within the window
        return False

    async def _enter(
        self, name: str, session_key: str, *, announce: bool = True
    ) -> tuple[str, Message | None]:
        first = await self._presence.enter(name, session_key)
        try:
            notice = None
            # A new tab of someone online, one of a crowd, or back after a restart: no notice.
            if first and announce and not await self._in_a_crowd():
                notice = await self._record(
                    NewMessage(MessageKind.JOIN, name, f"{name} has joined the chat.")
                )
            await self._presence_changed(name, online=True)
        except BaseException:
            # Failed or cancelled half-way: the caller never learns it joined, so it will never
            # leave; take the session back now (and a retry announces it).
            await self._presence.leave(name, session_key)
            raise
        return name, notice

    async def leave(self, user_name: str, session_key: str) -> Message | None:
        """Mark the session gone; the leave notice comes when the user's last session goes."""
        name = clean_user_name(user_name)
        # Counted with the one leaving, as when they joined.
        if not await self._presence.leave(name, session_key) or await self._in_a_crowd(extra=1):
            await self._presence_changed(name, online=False)
            return None
        notice = await self._record(
            NewMessage(MessageKind.LEAVE, name, f"{name} has left the chat.")
        )
        if self._just_started():  # left since the restart: coming back is a new arrival
            self._left_here.add(user_key(name))
        await self._presence_changed(name, online=False)
        return notice

    async def set_connected(self, user_name: str, session_key: str, *, connected: bool) -> None:
        """A joined session's connection dropped or came back. The member list follows at once;
        the leave notice waits for the grace period (a reload is not a leave)."""
        name = clean_user_name(user_name)
        await self._presence.set_connected(name, session_key, connected)
        await self._presence_changed(name, online=connected)

    async def online_users(self) -> list[str]:
        return await self._presence.online_users()

    async def _in_a_crowd(self, *, extra: int = 0) -> bool:
        """More people online than NOTICE_CROWD: join and leave notices are not posted."""
        return await self._presence.online_count() + extra > NOTICE_CROWD

    async def typing(self, user_name: str, *, room: str = DEFAULT_ROOM) -> bool:
        """Tell the room `user_name` is typing; False if they were heard too recently. Nothing
        is stored: the event only lives on screens for a few seconds."""
        name = clean_user_name(user_name)
        # The key, not what the client typed ("#Dev"): receivers match events by key. Checked
        # before the throttle, so a refused attempt does not silence the user's next one.
        key = (await self.rooms.writable(name, room)).key
        if not self._typing_throttle.allow((key, name)):
            return False
        await self._bus.publish(UserTyping(key, name))
        return True

    async def _presence_changed(self, name: str, *, online: bool) -> None:
        # Published for every session that comes or goes, even when the user's status did not
        # flip: receivers coalesce these and re-read the list, so a spare one costs little,
        # and a presence adapter need not tell a flip apart across processes.
        await self._bus.publish(PresenceChanged(DEFAULT_ROOM, name, online))

    async def post(
        self,
        user_name: str,
        raw_text: str,
        *,
        client_id: str | None = None,
        is_retry: bool = False,
        kind: MessageKind = MessageKind.CHAT,
        author_kind: AuthorKind = AuthorKind.USER,
        rate_limited: bool = True,
        room: str = DEFAULT_ROOM,
        origin: Origin | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> Message:
        """Store and publish a chat message (with `attachments`, whose blobs are stored: see
        core/attachments.py; the text may then be blank). With a `client_id`, a retry of a send
        whose outcome was unknown (the database went away mid-commit) is stored once; `is_retry`
        (set by the server's own retry loop, never by a client) does not count against the rate
        limit, nor does `rate_limited=False` (an in-process bot answering a command its user paid
        for: the command paid the message budget and the room's slow mode, see submit.py)."""
        if kind not in _POSTABLE:
            raise ValidationError(f"A client cannot post a {kind.value} message.")
        name = clean_user_name(user_name)
        if author_kind is not AuthorKind.BOT:
            # Users cannot join under a bot's name; an integration must not post under one.
            self.reserved.refuse_bot(name)
        if author_kind is AuthorKind.INTEGRATION:
            await self._refuse_a_person_s_name(name)
        if attachments and kind is not MessageKind.CHAT:
            raise ValidationError("Files can only be sent in a chat message.")
        text = "" if attachments and not raw_text.strip() else clean_message_text(raw_text)
        if kind is MessageKind.TOPIC:
            text = clean_topic(text)
        target = await self._postable(name, room, author_kind)
        room = target.key
        if rate_limited and not is_retry:
            await self.spend(name, origin)
            if target.slow_mode_seconds > 0 and author_kind is AuthorKind.USER:
                await self.moderation.slow_down(name, target, origin)
        mentions = mentioned_names(text) if kind is not MessageKind.TOPIC else ()
        new = NewMessage(kind, name, text, client_id, author_kind, room, mentions, attachments)
        return await self._record(new)

    async def _refuse_a_person_s_name(self, name: str) -> None:
        """Integrations have a name space of their own: never a claimed name or a look-alike
        of one, so a message from a webhook cannot pass for a person's."""
        skeleton = name_skeleton(name)
        if self.reserved.is_integration(name):
            return  # nobody may join under it
        holder = await self._room_store.name_holder(name, skeleton)
        if holder is None:
            return
        if _same_name(holder, name):
            raise NameTakenError(
                f"{name} is a person's name in this chat. An integration needs a name of its own."
            )
        raise NameTakenError(
            f"{name} looks too much like {holder}, who is already in this chat."
            " An integration needs a name of its own."
        )

    async def _postable(self, name: str, room: str, author_kind: AuthorKind) -> Room:
        """People post where they are members, unless muted there or the room is archived
        (RoomService.writable). Bots and integrations (configured by whoever runs the server)
        may post in any public room that is not archived, but never in a private room or a
        direct conversation."""
        if author_kind is AuthorKind.USER:
            return await self.rooms.writable(name, room)
        target = await self.rooms.readable(name, room)
        if target.kind is not RoomKind.PUBLIC:
            raise no_such_room(target.key)
        if target.archived:
            raise ArchivedError(target.key)
        return target

    async def spend(self, user_name: str, origin: Origin | None = None) -> None:
        """One message from the user's, the connection's and the IP's budgets (a slash command
        costs what a message does); RateLimitedError if any is spent."""
        await self.limits.spend(Action.MESSAGE, user_name, origin)

    async def latest(
        self,
        room: str = DEFAULT_ROOM,
        *,
        reader: str | None = None,
        limit: int = HISTORY_PAGE_SIZE,
    ) -> HistoryPage:
        """The newest page of `room`, which `reader` must be allowed to read (anyone may read
        #general, even before joining)."""
        return await self._store.latest(await self._readable(room, reader), limit)

    async def before(
        self,
        message_id: int,
        room: str = DEFAULT_ROOM,
        *,
        reader: str | None = None,
        limit: int = HISTORY_PAGE_SIZE,
    ) -> HistoryPage:
        return await self._store.before(await self._readable(room, reader), message_id, limit)

    async def around(
        self,
        message_id: int,
        room: str = DEFAULT_ROOM,
        *,
        reader: str | None = None,
        limit: int = AROUND_PAGE_SIZE,
    ) -> HistoryPage:
        """The messages of `room` around `message_id` (where a search result opens)."""
        key = await self._readable(room, reader)
        if not 0 < message_id <= MAX_MESSAGE_ID:
            return await self._store.latest(key, limit)
        return await self._store.around(key, message_id, limit)

    async def _readable(self, room: str, reader: str | None) -> str:
        key = room_key(room)  # "#General" is #general
        if key == DEFAULT_ROOM:
            return key
        if reader is None:
            # The answer any room gets ("#dm:3:annbob" would show a key meant for no one).
            raise no_such_room(key)
        return (await self.rooms.readable(reader, key)).key

    async def topic(self, room: str = DEFAULT_ROOM) -> str | None:
        """The room's topic: the text of the last `/topic` said there, if any."""
        last = await self._store.last_of_kind(room, MessageKind.TOPIC)
        # Topics set before the limit was enforced may be longer: every join answer carries it.
        return None if last is None else last.text[:MAX_TOPIC_LENGTH]

    async def _record(self, new: NewMessage) -> Message:
        # The commit happens inside add(): nobody hears of a message that is not stored.
        message = await self._store.add(new)
        await self._bus.publish(MessagePosted(message))
        for observer in self._observers:
            observer(message)
        return message


def _same_name(claimed: str, name: str) -> bool:
    """Whether a claimed name is `name` in another case. The claimed one is normalised first: it
    may have been claimed before names were (a fullwidth "Hank" is "Hank" now)."""
    return user_key(unicodedata.normalize("NFKC", claimed)) == user_key(name)
