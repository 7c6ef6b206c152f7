"""One session's part in presence and typing: its member list, the typing line, the typing
events its composer sends, and the narrow-screen toggle. Kept out of SessionController so the
message hot path there stays as it is; the controller only forwards lifecycle calls here.

Who is online and who is typing are worked out once per process (PresenceCache, TypingBoard);
a session only renders them when they change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import flet as ft

from flet_chat.core.errors import ChatError
from flet_chat.core.limits import DEFAULT_ROOM, TYPING_INTERVAL_SECONDS
from flet_chat.core.rooms import user_key
from flet_chat.core.service import ChatService
from flet_chat.flet_compat import sent_its_own_changes
from flet_chat.live.presence_cache import PresenceCache
from flet_chat.live.typing_board import TypingBoard
from flet_chat.ui.member_updates import MemberPatches, rows_sent_after, send_members
from flet_chat.ui.views.chat_view import NARROW_WIDTH, ChatView

logger = logging.getLogger(__name__)

# A little over the service's interval: a signal that reached the service a moment later than
# the previous one left here would otherwise be refused, leaving a 4 s gap in the indicator.
SIGNAL_INTERVAL_SECONDS = TYPING_INTERVAL_SECONDS + 0.1


class MarkChanges(Protocol):
    """GuestMarks: tells its listeners when a member turned out to be a guest (or not)."""

    def subscribe(self, listener: Callable[[], None]) -> None: ...

    def unsubscribe(self, listener: Callable[[], None]) -> None: ...


class PresenceSession:
    def __init__(
        self,
        *,
        chat: ChatService,
        cache: PresenceCache,
        typing_board: TypingBoard,
        session_key: str,
        me: Callable[[], str | None],
        marks: MarkChanges | None = None,
        page: ft.Page | None = None,
        patches: MemberPatches | None = None,
    ) -> None:
        self._chat = chat
        self._cache = cache
        self._board = typing_board
        self._session_key = session_key
        self._me = me
        self._marks = marks
        # Where member list changes go as ready-made patches (None: through Flet's update).
        self._page = page
        self._patches = patches or MemberPatches()
        self._view: ChatView | None = None
        self._last_typing_sent: float | None = None
        self.room = DEFAULT_ROOM
        # The current room's members by user key; None for #general, which has everyone.
        self._members: dict[str, str] | None = None
        self._roles: dict[str, str] = {}  # user key -> "owner" / "moderator" in this room
        self._missed_members = False  # changed while the tab was away: drawn when it is back

    @property
    def view(self) -> ChatView:
        assert self._view is not None, "bind() the view first"
        return self._view

    def bind(self, view: ChatView) -> None:
        self._view = view

    def start(self, page_width: float | None) -> None:
        """Before the view is added to the page: lay it out, fill it in, start listening."""
        self.view.set_narrow(page_width is not None and page_width < NARROW_WIDTH)
        self.view.members.show(self._online_here())
        self.view.typing.show(self._typists())
        self._cache.subscribe(self._members_changed)
        self._board.subscribe(self._typists_changed)
        if self._marks is not None:
            self._marks.subscribe(self._members_changed)

    @contextmanager
    def first_send(self) -> Iterator[None]:
        """Around the page's first send of the view: the member rows follow it ready-made."""
        with rows_sent_after(self._page, self.view.members):
            yield

    def close(self) -> None:
        self._cache.unsubscribe(self._members_changed)
        self._board.unsubscribe(self._typists_changed)
        if self._marks is not None:
            self._marks.unsubscribe(self._members_changed)

    # -- who is online ------------------------------------------------------------------------

    def _online_here(self) -> Sequence[str]:
        if self._members is None:
            return self._cache.users  # everyone: no copy per session per change
        return [name for name in self._cache.users if user_key(name) in self._members]

    def _members_changed(self) -> None:
        self._show_members()

    def _show_members(self) -> None:
        if self._away():
            # Flet drops what a disconnected session is sent, and a tab that comes back to it
            # is sent the whole page; drawn now, the list would go through Flet's diff (nothing
            # ready-made reaches a closed socket) at every change: 1,000 tabs dropped at once
            # (a network blip, a shutdown) each diffed 50 rows every second or two.
            self._missed_members = True
            return
        members = self.view.members
        change = members.show(self._online_here(), self._roles)
        send_members(self._page, members, change, self._patches)
        self._missed_members = False

    def reconnected(self) -> None:
        """The tab is back (Flet has sent it the page as it is): the changes missed meanwhile."""
        if self._missed_members:
            self._show_members()

    def _away(self) -> bool:
        """Whether this session's tab is disconnected (or its session is gone)."""
        if self._page is None:
            return False
        try:
            return self._page.session.connection is None
        except RuntimeError:  # Flet: "An attempt to fetch destroyed session."
            return True

    def profiles_changed(self, changed: frozenset[str]) -> None:
        """People's profiles changed: if the member list shows one of them, draw it again."""
        if self.view.members.profiles_changed(changed):
            self._members_changed()

    def show_room(
        self, room: str, members: list[str] | None, roles: dict[str, str] | None = None
    ) -> None:
        """The session switched rooms: show who of its members is online (with their roles
        there, by name: "owner", "moderator"), and its typists."""
        self.room = room
        self._members = None if members is None else {user_key(m): m for m in members}
        self._roles = {user_key(name): role for name, role in (roles or {}).items()}
        self._last_typing_sent = None
        self._show_members()
        _update(self.view.typing.show(self._typists()))

    def membership_changed(self, room: str, user_name: str, *, joined: bool) -> None:
        if room != self.room or self._members is None:
            return
        if joined:
            self._members[user_key(user_name)] = user_name
        else:
            self._members.pop(user_key(user_name), None)
        self._members_changed()

    def role_changed(self, room: str, user_name: str, role: str | None) -> None:
        """Someone's role in a room changed (a moderator named, ownership transferred)."""
        if room != self.room or self._members is None:
            return
        if role in ("owner", "moderator"):
            self._roles[user_key(user_name)] = role
        else:
            self._roles.pop(user_key(user_name), None)
        self._members_changed()

    async def connection_changed(self, *, connected: bool) -> None:
        """The member list drops a closed tab at once; the leave notice waits for the grace."""
        name = self._me()
        if name is None:
            return
        try:
            await self._chat.set_connected(name, self._session_key, connected=connected)
        except Exception:
            logger.exception("could not record that %s's connection changed", name)

    async def on_toggle_members(self, _event: Any) -> None:
        _update(self.view.toggle_members())

    async def on_resize(self, event: Any) -> None:
        sent_its_own_changes()  # a window dragged wider fires many; most change nothing here
        width = getattr(event, "width", None)
        if isinstance(width, int | float):
            _update(self.view.set_narrow(width < NARROW_WIDTH))

    # -- typing -------------------------------------------------------------------------------

    def _typists(self) -> list[str]:
        me = self._me()
        return [name for name in self._board.typists(self.room) if name != me]

    def _typists_changed(self) -> None:
        _update(self.view.typing.show(self._typists()))

    async def on_composer_change(self, event: Any) -> None:
        """The composer changed. Flet's client sends every keystroke and has no debounce, so
        the session passes at most one per interval on to the service (which throttles too).
        Nothing of this page changes: Flet must not diff the page after every keystroke."""
        sent_its_own_changes()
        name = self._me()
        data = getattr(event, "data", None)
        text = data if isinstance(data, str) else self.view.message_input.value
        if name is None or not text.strip():
            return  # clearing the composer is not typing
        now = asyncio.get_running_loop().time()
        last = self._last_typing_sent
        if last is not None and now - last < SIGNAL_INTERVAL_SECONDS:
            return
        self._last_typing_sent = now
        try:
            await self._chat.typing(name, room=self.room)
        except ChatError:
            pass  # a name the service refuses cannot be typing either
        except Exception:
            logger.warning("could not send a typing event for %s", name, exc_info=True)


def _update(controls: list[ft.Control]) -> None:
    for control in controls:
        control.update()
