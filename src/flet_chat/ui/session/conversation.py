"""The room on screen: its history (retried while the store is away), live messages held until
the next frame, older pages, the jump to the newest message, scrolling, and marking it read."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

from flet_chat.core.errors import ChatError
from flet_chat.core.limits import DEFAULT_ROOM
from flet_chat.core.models import AuthorKind, HistoryPage, Message, MessageKind, Room, RoomKind
from flet_chat.core.room_service import GENERAL, title_for
from flet_chat.live.shared_messages import SharedMessages
from flet_chat.retry import RETRY_DELAYS, with_backoff
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.rooms_session import counts_as_unread
from flet_chat.ui.session.screen import Screen, show_under_field
from flet_chat.ui.views.chat_view import ChatView
from flet_chat.ui.views.message_list import ListSpliced

logger = logging.getLogger(__name__)

HISTORY_FAILED = "Could not load the conversation. Trying again..."
HISTORY_RETRY_MAX_SECONDS = 5.0
# A search result opens its room with this many newer messages below it, the rest a "Jump to
# newest" away: few enough that the result is on screen with the list at its bottom.
SHOWN_AFTER_RESULT = 2


class History(Protocol):
    """The reads the conversation makes (ChatService has them)."""

    async def latest(self, room: str = ..., *, reader: str | None = ...) -> HistoryPage: ...

    async def before(
        self, message_id: int, room: str = ..., *, reader: str | None = ...
    ) -> HistoryPage: ...

    async def around(
        self, message_id: int, room: str = ..., *, reader: str | None = ...
    ) -> HistoryPage: ...

    async def topic(self, room: str = ...) -> str | None: ...


class ReadMarks(Protocol):
    async def mark_read(self, user_name: str, room: str, message_id: int) -> None: ...


class Changes(Protocol):
    """Edited, deleted or reacted-to messages held for the frame (MessageActionsSession)."""

    def take_changes(self, window: MessageWindow) -> list[Message]: ...


class Profiles(Protocol):
    """What history needs of the profile cache (live/profile_cache.py)."""

    async def ensure(self, user_names: Iterable[str]) -> None: ...


class _Superseded(Exception):
    """The user moved on to another room while this one's history was being retried."""


class Conversation:
    def __init__(
        self,
        *,
        history: History,
        read_marks: ReadMarks,
        window: MessageWindow,
        view: ChatView,
        screen: Screen,
        changes: Changes,
        me: Callable[[], str | None],
        profiles: Profiles | None = None,
        general: Callable[[], Awaitable[tuple[HistoryPage, str | None]]] | None = None,
        shared_messages: SharedMessages | None = None,
        after_frame: Callable[[Callable[[], None]], None] | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        retry_pace: float = HISTORY_RETRY_MAX_SECONDS,
    ) -> None:
        """While the store is away history is read again after each of `retry_delays`, then
        every `retry_pace` seconds. `general` reads #general's newest page and topic shared
        with the process's other sessions (live/newest_page.py); without it each reads its own.
        `after_frame` runs work once the frames sent meanwhile have gone out (FrameClock's
        `after_pass`); without it that work is not done ahead. `shared_messages` gives the
        messages of each page read the objects other sessions hold for them
        (live/shared_messages.py); without it the session keeps its own."""
        self._history = history
        self._after_frame = after_frame
        self._general = general
        self._shared_messages = shared_messages
        self._retry_delays = retry_delays
        self._retry_pace = retry_pace
        self._read_marks = read_marks
        self.window = window
        self._view = view
        self._screen = screen
        self._changes = changes
        self._me = me
        self._profiles = profiles
        self.room: Room = GENERAL
        self._topic: str | None = None  # the room's topic as the header shows it
        self.manages_general = False  # a chat admin: "Manage room" in #general too
        self.history_loaded = False
        self._pending: list[Message] = []
        self._switches = 0  # a newer switch of rooms supersedes one still loading
        self._loading_older = False
        self._unread_on_open = 0  # where "New messages" goes once the history is in

    def enter(self, room: Room, *, unread: int = 0) -> None:
        """`room` is on screen from now on; its history is still to be loaded. It had `unread`
        unread messages: "New messages" goes above the first of them."""
        self._switches += 1
        self.room, self.history_loaded, self._pending = room, False, []
        self._unread_on_open = unread
        self._view.messages.mark_unread_from(None)

    def unread_known(self, unread: int) -> None:
        """The room on screen had `unread` unread messages when it opened: at the start its
        history comes before the user's unread counts do."""
        self._unread_on_open = unread
        if self.history_loaded:
            self._place_divider()
            self._render()

    def _place_divider(self) -> None:
        """Above the `unread`-th newest message counted as unread (the oldest one shown if
        there were more): placed once as the room opens, so messages arriving while the user
        looks do not move it."""
        remaining, self._unread_on_open = self._unread_on_open, 0
        if remaining <= 0:
            return
        me, first = self._me(), None
        for message in reversed(self.window.messages):
            if counts_as_unread(message, me):
                first, remaining = message.id, remaining - 1
                if remaining == 0:
                    break
        self._view.messages.mark_unread_from(first)

    def close(self) -> None:
        """The session closed: a history load still retrying (the store away) stops at its
        next attempt, as it does when another room is chosen."""
        self._switches += 1

    def hold(self, message: Message) -> None:
        """A live message of the room on screen: shown in the next frame."""
        self._pending.append(message)

    async def load_history(self, *, at: int | None = None) -> None:
        """Load the room on screen (its newest page, or the page around message `at`: a search
        result); while the store is away keep trying (and say so), so the conversation appears
        by itself once it is back."""
        room, switch = self.room, self._switches

        async def read(attempt: int) -> tuple[HistoryPage, str | None]:
            if switch != self._switches:
                raise _Superseded
            if at is None and room.key == DEFAULT_ROOM and self._general is not None:
                page, topic = await self._general()  # anyone may read #general: no check
                return self._kept(page), topic
            if at is None:
                latest = await self._history.latest(room.key, reader=self._me())
            else:
                latest = await self._history.around(at, room.key, reader=self._me())
            return self._kept(latest), await self._history.topic(room.key)

        def failed(_attempt: int, error: Exception, _wait: float | None) -> None:
            logger.warning("could not load the history of %s: %r", room.key, error)
            if self._view.message_input.error != HISTORY_FAILED:
                self.show_error(HISTORY_FAILED)

        try:
            latest, topic = await with_backoff(
                read,
                steps=self._retry_delays,
                then=self._retry_pace,
                fatal=(ChatError, _Superseded),
                on_failure=failed,
            )
        except ChatError as error:  # not allowed to read it (any more)
            return self.show_error(str(error))
        except _Superseded:
            return
        await self._read_profiles(latest.messages)
        if switch != self._switches:
            return  # the user moved on to another room meanwhile
        if self._view.message_input.error == HISTORY_FAILED:
            self.show_error(None)
        if at is None:
            self.window.reset(latest.messages, has_older=latest.has_older)
        else:
            self._reset_at(latest, at)
            self._view.message_list.auto_scroll = True
        self.history_loaded = True
        self._place_divider()
        self.show_header(topic)
        self.flush()

    async def _read_profiles(self, messages: Sequence[Message]) -> None:
        """Have the authors' profiles known before their rows are drawn (one query for the ones
        the process does not know yet; usually none). Without them rows show plain names."""
        if self._profiles is None:
            return
        authors = {
            m.user_name
            for m in messages
            if m.kind is MessageKind.CHAT and m.author_kind is AuthorKind.USER
        }
        try:
            await self._profiles.ensure(authors)
        except Exception as error:
            logger.warning("could not read profiles: %r", error)

    def flush(self) -> None:
        """Show what arrived since the last frame (once history is in; until then it waits)."""
        if not self.history_loaded:
            return  # flushed again once history is in
        pending, self._pending = self._pending, []
        for message in pending:
            self.window.add_live(message)
            if message.kind is MessageKind.TOPIC and message.room == self.room.key:
                self.show_header(message.text)
        changed = self._changes.take_changes(self.window)
        self._render()
        if changed:  # edited, deleted or reacted to: their chunks re-render through Flet's diff
            self._screen.send(self._view.messages.replace(changed))

    def _render(self) -> None:
        self._screen.send(self._view.render(self.window))
        self._build_ahead()

    def _build_ahead(self) -> None:
        """After a render: the chunk the next message will start, built once the frame is out."""
        messages = self._view.messages
        if self._after_frame is not None and messages.wants_spare():
            self._after_frame(messages.prepare_spare)

    def show_header(self, topic: str | None) -> None:
        room = self.room
        self._topic = topic
        can_leave = room.kind is not RoomKind.DIRECT and room.key != DEFAULT_ROOM
        # "Manage room" (invite, members, moderation) goes with "Leave"; in #general, which
        # has no owner, it is the chat admins' (they are its moderators).
        can_manage = can_leave or (room.key == DEFAULT_ROOM and self.manages_general)
        self._screen.refresh(
            *self._view.show_room(
                title_for(room, self._me()), topic, can_leave=can_leave, can_manage=can_manage
            )
        )

    def admin_known(self, admin: bool) -> None:
        """Whether the user is a chat admin (they manage #general too): the header again."""
        if admin != self.manages_general:
            self.manages_general = admin
            self.show_header(self._topic)

    def show_error(self, message: str | None) -> None:
        show_under_field(self._view, self._screen, message)

    async def load_older(self, _event: object) -> None:
        oldest = self.window.oldest_id
        if oldest is None or self._loading_older:
            return  # a double click must not load (and skip) a page twice
        self._loading_older = True
        try:
            older = self._kept(await self._history.before(oldest, self.room.key, reader=self._me()))
            await self._read_profiles(older.messages)
        finally:
            self._loading_older = False
        self.window.prepend_older(older.messages, has_older=older.has_older)
        # Keep the reader where they are instead of snapping back to the newest message.
        self._set_auto_scroll(False)

    async def jump_to_newest(self, _event: object) -> None:
        latest = self._kept(await self._history.latest(self.room.key, reader=self._me()))
        await self._read_profiles(latest.messages)
        self.window.reset(latest.messages, has_older=latest.has_older)
        self._set_auto_scroll(True)

    async def show_around(self, message_id: int) -> None:
        """The room on screen, at `message_id` and the messages around it (a search result
        in the room already open)."""
        page = self._kept(await self._history.around(message_id, self.room.key, reader=self._me()))
        await self._read_profiles(page.messages)
        self._reset_at(page, message_id)
        self._set_auto_scroll(True)

    def _kept(self, page: HistoryPage) -> HistoryPage:
        """A page read, as this session keeps it: its messages shared with the process's other
        sessions where they hold the same ones."""
        return page if self._shared_messages is None else self._shared_messages.page(page)

    def _reset_at(self, page: HistoryPage, message_id: int) -> None:
        """Show `page` (read around `message_id`) so that the message is in view: the list
        sits at its bottom (Flet's ListView cannot scroll to a row it has not built), so
        only SHOWN_AFTER_RESULT newer messages stay below it; "Jump to newest" brings the
        rest back."""
        cut = next(
            (i for i, m in enumerate(page.messages) if m.id > message_id), len(page.messages)
        )
        shown = page.messages[: cut + SHOWN_AFTER_RESULT]
        has_newer = page.has_newer or len(shown) < len(page.messages)
        self.window.reset_around(shown, has_older=page.has_older, has_newer=has_newer)

    async def show_own_post(self) -> None:
        """The user posted: bring them to the newest message if they had scrolled away."""
        if not (self.window.at_live_edge and self._view.message_list.auto_scroll):
            await self.jump_to_newest(None)

    def _set_auto_scroll(self, enabled: bool) -> None:
        message_list = self._view.message_list
        changed = message_list.auto_scroll != enabled
        message_list.auto_scroll = enabled
        updates = self._view.render(self.window)
        # `is`, not `in`: controls are dataclasses that compare by value. A splice of the list
        # sends the change first itself (ui/updates.py); Flet's diff of the list would send
        # the spliced items too, and the splice would add them a second time.
        spliced = any(isinstance(u, ListSpliced) and u.list_view is message_list for u in updates)
        if changed and not spliced and all(c is not message_list for c in updates):
            updates.insert(0, message_list)
        self._screen.send(updates)
        self._build_ahead()

    async def mark_read(self) -> None:
        """The user has seen the room on screen up to its newest row."""
        await self.save_read_mark(self.read_mark())

    def read_mark(self) -> tuple[str, int] | None:
        """The room on screen and its newest row, if it has been shown to a known user."""
        newest = self.window.messages[-1].id if self.window.messages else None
        if self._me() is None or newest is None or not self.history_loaded:
            return None
        return self.room.key, newest

    async def save_read_mark(self, mark: tuple[str, int] | None) -> None:
        me = self._me()
        if mark is None or me is None:
            return
        try:
            await self._read_marks.mark_read(me, *mark)
        except Exception:
            logger.warning("could not mark %s read for %s", mark[0], me)
