"""ChatService: validate, then store (commit), then publish. The only way messages are made."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from flet_chat.core.errors import NameTakenError, RateLimitedError, ValidationError
from flet_chat.core.events import MessagePosted
from flet_chat.core.limits import HISTORY_PAGE_SIZE
from flet_chat.core.models import AuthorKind, HistoryPage, Message, MessageKind, NewMessage
from flet_chat.core.ports import EventBus, MessageStore, Presence
from flet_chat.core.rate_limit import RateLimiter
from flet_chat.core.validation import clean_message_text, clean_user_name

logger = logging.getLogger(__name__)

# What a client may post; join and leave notices are the service's own.
_POSTABLE = frozenset({MessageKind.CHAT, MessageKind.ACTION, MessageKind.TOPIC})
RATE_LIMITED = "You are sending messages too fast. Wait a moment."


class ChatService:
    def __init__(
        self,
        store: MessageStore,
        bus: EventBus,
        rate_limiter: RateLimiter,
        presence: Presence,
    ) -> None:
        self._store = store
        self._bus = bus
        self._rate_limiter = rate_limiter
        self._presence = presence
        self._observers: list[Callable[[Message], None]] = []
        self._reserved: frozenset[str] = frozenset()

    def add_observer(self, observer: Callable[[Message], None]) -> None:
        """Called with each message this process stores, after it is published (bots use it:
        every message is seen once in a cluster, by the process that stored it)."""
        self._observers.append(observer)

    def reserve_names(self, names: Iterable[str]) -> None:
        """Names nobody may join as (the bots'), compared without case."""
        self._reserved = frozenset(n.casefold() for n in names)

    async def join(
        self, raw_name: str, session_key: str, *, exclusive: bool = False, bot: bool = False
    ) -> tuple[str, Message | None]:
        """Validate the name and mark the session online; returns the cleaned name and the join
        notice, which only a user's first session (tab, process or machine) gets.

        `exclusive` (a client that proved no identity) refuses a name that is online already,
        so nobody can speak as someone else while that person is here. Bots' names are
        reserved: only `bot=True` (a client that proved it is that bot) may use one."""
        name = clean_user_name(raw_name)
        if not bot and name.casefold() in self._reserved:
            raise NameTakenError(f"{name} is the name of a bot. Choose another name.")
        if not await self._presence.enter(name, session_key):
            if exclusive:
                await self._presence.leave(name, session_key)
                raise NameTakenError(f"{name} is already in the chat. Choose another name.")
            return name, None
        try:
            notice = await self._record(
                NewMessage(MessageKind.JOIN, name, f"{name} has joined the chat.")
            )
        except Exception:
            await self._presence.leave(name, session_key)  # so that a retry announces it
            raise
        return name, notice

    async def leave(self, user_name: str, session_key: str) -> Message | None:
        """Mark the session gone; the leave notice comes when the user's last session goes."""
        name = clean_user_name(user_name)
        if not await self._presence.leave(name, session_key):
            return None
        return await self._record(NewMessage(MessageKind.LEAVE, name, f"{name} has left the chat."))

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
    ) -> Message:
        """Store and publish a chat message. With a `client_id`, a retry of a send whose outcome
        was unknown (the database went away mid-commit) is stored once; `is_retry` (set by the
        server's own retry loop, never by a client) does not count against the rate limit, nor
        does `rate_limited=False` (an in-process bot answering a command its user paid for)."""
        if kind not in _POSTABLE:
            raise ValidationError(f"A client cannot post a {kind.value} message.")
        name = clean_user_name(user_name)
        if author_kind is not AuthorKind.BOT and name.casefold() in self._reserved:
            # Users cannot join under a bot's name; an integration must not post under one.
            raise NameTakenError(f"{name} is the name of a bot. Choose another name.")
        text = clean_message_text(raw_text)
        if rate_limited and not is_retry:
            self.spend(name)
        new = NewMessage(kind, name, text, client_id, author_kind)
        return await self._record(new)

    def spend(self, user_name: str) -> None:
        """Take one token from the user's bucket (a slash command costs what a message does)."""
        if not self._rate_limiter.try_acquire(user_name):
            raise RateLimitedError(RATE_LIMITED)

    async def latest(self, limit: int = HISTORY_PAGE_SIZE) -> HistoryPage:
        return await self._store.latest(limit)

    async def before(self, message_id: int, limit: int = HISTORY_PAGE_SIZE) -> HistoryPage:
        return await self._store.before(message_id, limit)

    async def topic(self) -> str | None:
        """The room's topic: the text of the last `/topic`, if any."""
        last = await self._store.last_of_kind(MessageKind.TOPIC)
        return None if last is None else last.text

    async def _record(self, new: NewMessage) -> Message:
        # The commit happens inside add(): nobody hears of a message that is not stored.
        message = await self._store.add(new)
        await self._bus.publish(MessagePosted(message))
        for observer in self._observers:
            observer(message)
        return message
