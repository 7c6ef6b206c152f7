"""Moving between rooms: open, join and leave rooms, the new-room field, direct conversations,
the room list and its drawer, and this user's memberships changing in another tab."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

from flet_chat.core.errors import JOIN_FIRST, ChatError
from flet_chat.core.events import MembershipChanged
from flet_chat.core.limits import DEFAULT_ROOM
from flet_chat.core.models import Room, RoomKind, RoomRole
from flet_chat.core.rate_limit import Origin
from flet_chat.core.room_service import GENERAL, RoomService, title_for
from flet_chat.core.rooms import clean_room_name, user_key
from flet_chat.retry import with_backoff
from flet_chat.ui.presence_session import PresenceSession
from flet_chat.ui.rooms_session import RoomsSession
from flet_chat.ui.session.conversation import Conversation
from flet_chat.ui.session.drafts import Drafts
from flet_chat.ui.session.screen import Screen
from flet_chat.ui.session.tab_title import TabTitle
from flet_chat.ui.views.chat_view import ChatView
from flet_chat.ui.views.room_list import RoomList

logger = logging.getLogger(__name__)


class Navigation:
    def __init__(
        self,
        *,
        rooms_service: RoomService,
        rooms: RoomsSession,
        room_list: RoomList,
        conversation: Conversation,
        presence: PresenceSession,
        view: ChatView,
        screen: Screen,
        me: Callable[[], str | None],
        origin: Origin | None,
        background: Callable[[Awaitable[None]], None],
        drafts: Drafts | None = None,
        title: TabTitle | None = None,
        entered: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`drafts`: the composer's text per room, swapped as rooms change; `title`: the tab's
        title, which counts the unread messages of every room; `entered`: a room is on screen
        (the composer's standing there is read)."""
        self._service = rooms_service
        self._rooms = rooms
        self._room_list = room_list
        self._conversation = conversation
        self._presence = presence
        self._view = view
        self._screen = screen
        self._me = me
        self._origin = origin
        self._background = background
        self._drafts = drafts if drafts is not None else Drafts()
        self._title = title
        self._opening_room = False
        self._entered = entered

    async def enter_rooms(self, rooms_read: Callable[[], None] | None = None) -> None:
        """The user is known: hear their rooms and show them with their unread counts. Retried
        while the store is away (the user chats in #general meanwhile). `rooms_read` is called
        when their rooms are first read, and before that once if the first attempt fails (not
        after every retry: whoever waits for the rooms goes on without them, and again once
        they are in)."""
        name = self._me()
        if name is None:
            return
        told: list[str] = []  # "failed" and then "read", each at most once

        def tell(what: str) -> None:
            if rooms_read is not None and what not in told and "read" not in told:
                told.append(what)
                rooms_read()

        def failed(_attempt: int, error: Exception, _wait: float | None) -> None:
            logger.warning("could not load the rooms of %s: %r", name, error)
            tell("failed")

        try:
            await with_backoff(
                lambda _attempt: self._rooms.load(name, rooms_read=lambda: tell("read")),
                on_failure=failed,
            )
        except Exception:
            return
        # The room on screen (#general at the start) was opened before its count was known.
        here = self._conversation.room.key
        unread = self._rooms.unread(here)
        self._rooms.seen(here)
        self._conversation.unread_known(unread)
        self.render_rooms()

    def render_rooms(self) -> None:
        shown = self._room_list.show(
            self._rooms.entries(), self._conversation.room.key, self._rooms.directory()
        )
        for control in shown:
            with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
                self._screen.refresh(control)
        if self._title is not None:
            self._title.rooms_changed(self._rooms.total_unread())

    async def open_room(self, key: str) -> None:
        room = self._rooms.get(key)
        if room is not None:
            await self.switch_to(room)

    async def open_at(self, key: str, message_id: int) -> None:
        """Show room `key` at `message_id` and the messages around it (a search result)."""
        room = self._rooms.get(key)
        if room is None:  # a room the user may read but is not in (or has left since)
            me = self._me()
            if me is None:
                return self._conversation.show_error(JOIN_FIRST)
            try:
                room = await self._service.readable(me, key)
            except ChatError as error:
                return self._conversation.show_error(str(error))
        await self.switch_to(room, at=message_id)

    def title_of(self, key: str) -> str:
        """How the user's room list names room `key` ("#dev", "@Bob")."""
        room = self._rooms.get(key)
        return title_for(room, self._me()) if room is not None else f"#{key}"

    async def switch_to(self, room: Room, *, at: int | None = None) -> None:
        """Show `room`: mark the one left read, load the new one's history and members (its
        newest page, or the page around message `at`)."""
        conversation = self._conversation
        if room.key == conversation.room.key:
            await self._close_drawer()
            if at is not None:
                await conversation.show_around(at)
            return
        # What the switch changes on the server happens before anything awaits: what the user
        # types from now on is the new room's draft, and its live messages are held for it.
        left = conversation.read_mark()
        field = self._view.message_input
        self._drafts.keep(conversation.room.key, field.value)
        conversation.enter(room, unread=self._rooms.unread(room.key))
        field.value = self._drafts.take(room.key)
        with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
            self._screen.refresh(field)
        self._rooms.seen(room.key)
        self.render_rooms()
        if self._entered is not None:
            self._background(self._entered())
        await self._close_drawer()
        await conversation.save_read_mark(left)
        members = list(room.members) if room.kind is RoomKind.DIRECT else None
        roles: dict[str, str] = {}
        if room.kind is not RoomKind.DIRECT and room.key != DEFAULT_ROOM:
            try:
                members, roles = await self._members_of(room)
            except Exception as error:  # the store is away: the list fills in on the next change
                logger.warning("could not read the members of %s: %r", room.key, error)
                members = []
        self._presence.show_room(room.key, members, roles)
        conversation.show_header(None)
        # A room opens at its newest message, wherever the last one was scrolled to.
        self._view.message_list.auto_scroll = True
        await conversation.load_history(at=at)
        await conversation.mark_read()

    async def _members_of(self, room: Room) -> tuple[list[str], dict[str, str]]:
        """A room's members and their roles ("owner", "moderator"); only the members of a
        public room for someone looking in without being in it (a search result)."""
        me = self._me()
        try:
            if me is None:
                raise ChatError(JOIN_FIRST)
            memberships = await self._service.memberships(me, room.key)
        except ChatError:
            if room.kind is not RoomKind.PUBLIC:
                return [], {}
            return await self._service.members(room.key) or [], {}
        roles = {m.user_name: m.role.value for m in memberships if m.role is not RoomRole.MEMBER}
        return [m.user_name for m in memberships], roles

    async def _close_drawer(self) -> None:
        if self._view.narrow:
            with contextlib.suppress(RuntimeError):
                await self._screen.close_drawer()

    async def new_room(self, event: object) -> None:
        """ "dev" in the field: open #dev if the user is in it, join it if it exists, else
        create it."""
        field = self._room_list.new_room_input
        # As in the composer: the submit event carries the text as it was on Enter.
        data = getattr(event, "data", None)
        text = data if isinstance(data, str) else (field.value or "")
        if self._opening_room:
            return  # Enter pressed twice: the first one is on its way
        self._opening_room = True
        try:
            me = self._me()
            if me is None:
                raise ChatError(JOIN_FIRST)
            key = clean_room_name(text)
            private = bool(self._room_list.private_switch.value)
            if private:  # a new invite-only room (an existing name is refused as taken)
                room = await self._service.create(me, key, private=True, origin=self._origin)
            elif self._rooms.is_in(key):
                room = self._rooms.get(key) or GENERAL
            else:  # the directory a session has may not list every room: the server decides
                room = await self._service.join_or_create(me, key, origin=self._origin)
        except ChatError as error:
            field.error = str(error)
            self._screen.refresh(field)
            return
        finally:
            self._opening_room = False
        field.value, field.error = "", None
        self._room_list.private_switch.value = False
        self._screen.refresh(field, self._room_list.private_switch)
        self._rooms.joined(room)
        await self.switch_to(room)

    async def join_room(self, key: str) -> None:
        me = self._me()
        if me is None:
            return self._conversation.show_error(JOIN_FIRST)
        try:
            room = await self._service.join(me, key)
        except ChatError as error:
            return self._conversation.show_error(str(error))
        self._rooms.joined(room)
        await self.switch_to(room)

    async def leave_room(self, _event: object) -> None:
        room = self._conversation.room
        me = self._me()
        if me is None:
            return
        try:
            await self._service.leave(me, room.key)
        except ChatError as error:
            return self._conversation.show_error(str(error))
        await self.switch_to(GENERAL)
        self._rooms.left(room.key)
        self.render_rooms()

    async def open_direct(self, other: str) -> None:
        me = self._me()
        if me is None:
            return self._conversation.show_error(JOIN_FIRST)
        try:
            room = await self._service.open_direct(me, other, origin=self._origin)
        except ChatError as error:
            return self._conversation.show_error(str(error))
        self._rooms.joined(room)
        await self.switch_to(room)

    async def show_rooms(self, _event: object) -> None:
        await self._screen.show_drawer()

    def membership_changed(self, event: MembershipChanged) -> bool:
        """Someone joined or left a room; returns whether this user's room list changed."""
        me = self._me()
        if me is None or user_key(event.user_name) != user_key(me):
            self._presence.membership_changed(event.room.key, event.user_name, joined=event.joined)
            return False
        # This user joined or left in another tab (or someone opened a conversation with them).
        if event.joined:
            self._rooms.joined(event.room)
        elif event.room.key == self._conversation.room.key:
            self._background(self.switch_to(GENERAL))
            self._rooms.left(event.room.key)
        else:
            self._rooms.left(event.room.key)
        return True
