"""SessionController: one Flet session. It builds the session's parts, wires them, runs the
page's lifecycle (start, disconnect, reconnect, close) and dispatches events from the fan-out
into the session's frame.

The parts, each with only what it needs:
- identity.SessionIdentity: who is here (restored, signed in, signed up or a guest), going
  online/offline, and back to the dialog when their account session ends;
- external_sign_in.ExternalSignIn: the dialog's "Sign in with <provider>" buttons, when
  providers are configured (one ProviderDirectory per process, on ProcessShared);
- account.AccountSession: the account menu (sign out, passwords, the profile);
- composer.Composer: sending what is typed; drafts.Drafts: what was typed in other rooms;
- conversation.Conversation: the room on screen (history, live messages, scrolling);
- navigation.Navigation: moving between rooms;
- tab_title.TabTitle: "(3) Flet Chat", the unread messages in the tab's title;
- profile.ProfileSession: the profile dialog (open_profile opens it);
- search.SearchSession: the search dialog, and a result opening its room at that message;
- ui/presence_session.py, ui/rooms_session.py, ui/message_actions_session.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import flet as ft

from flet_chat.core.accounts.models import Account, SignedIn
from flet_chat.core.events import (
    MembershipChanged,
    MessageChanged,
    MessagePosted,
    MessagesRestored,
    ModerationChanged,
    RoomChanged,
)
from flet_chat.core.limits import MAX_RENDERED_MESSAGES
from flet_chat.core.models import AuthorKind, Message, MessageKind
from flet_chat.core.rate_limit import Origin
from flet_chat.core.room_service import GENERAL
from flet_chat.core.rooms import user_key
from flet_chat.flet_compat import (
    forget_flet_session,
    sent_its_own_changes,
    services_sent_with_next_update,
)
from flet_chat.ui import keys, routing
from flet_chat.ui.controls.attachments import DOWNLOAD_FILE, OPEN_IMAGE
from flet_chat.ui.controls.load_older import LOAD_OLDER
from flet_chat.ui.message_actions_session import MessageActionsSession
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.presence_session import PresenceSession
from flet_chat.ui.rooms_session import RoomsSession, counts_as_unread
from flet_chat.ui.routing import RoutedEvent
from flet_chat.ui.session.account import AccountSession
from flet_chat.ui.session.admin import ADMIN_ROUTE, AdminSession
from flet_chat.ui.session.attachments import AttachmentsSession
from flet_chat.ui.session.composer import Composer
from flet_chat.ui.session.conversation import Conversation
from flet_chat.ui.session.drafts import Drafts
from flet_chat.ui.session.emoji_input import EmojiInput
from flet_chat.ui.session.external_sign_in import ExternalSignIn
from flet_chat.ui.session.identity import SessionIdentity
from flet_chat.ui.session.navigation import Navigation
from flet_chat.ui.session.profile import ProfileSession
from flet_chat.ui.session.room_admin import RoomAdmin
from flet_chat.ui.session.room_standing import RoomStanding
from flet_chat.ui.session.screen import PageScreen
from flet_chat.ui.session.search import SearchSession
from flet_chat.ui.session.tab_title import APP_TITLE, TabTitle
from flet_chat.ui.shared import ProcessShared
from flet_chat.ui.theme import apply_theme
from flet_chat.ui.views.chat_view import ChatView
from flet_chat.ui.views.join_dialog import JoinDialog
from flet_chat.ui.views.member_list import OPEN_DIRECT
from flet_chat.web_client.connection_banner import came_back
from flet_chat.web_clock import viewer_clock

if TYPE_CHECKING:  # for annotations only: importing it would load every adapter
    from flet_chat.bootstrap import Services
from flet_chat.ui.views.message_list import CHUNK_SIZE
from flet_chat.ui.views.room_list import RoomList

logger = logging.getLogger(__name__)


class SessionController:
    def __init__(self, page: ft.Page, services: Services, shared: ProcessShared) -> None:
        self.page = page
        self._shared = shared
        chat = services.chat
        # Presence counts sessions, not people: this key is unique across processes.
        self.session_key = uuid.uuid4().hex
        # Rate limits count per tab and per client IP (Flet's, from the ASGI scope, where a
        # forwarded address counts only from FORWARDED_ALLOW_IPS) as well as per user.
        self.origin = Origin(page.client_ip or None, self.session_key)
        self._prefs: ft.SharedPreferences | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False  # after Flet closed the session, nothing new is started
        self._history_task: asyncio.Task[None] | None = None
        self._rooms_dirty = False
        self._missed_here = 0  # arrived in the room on screen while the tab was hidden
        self._own_profile_changed = False
        self._profiles = services.profile_cache
        self.clock = viewer_clock(page)  # times in the viewer's zone (ui/clock.py)
        self._midnight: asyncio.TimerHandle | None = None
        self.screen = PageScreen(page)
        self.tab_title = TabTitle(self.screen)
        self.drafts = Drafts()
        self.window = MessageWindow(MAX_RENDERED_MESSAGES, trim_step=CHUNK_SIZE)
        # "Sign in with <provider>" (none unless providers are configured): a sign-in that comes
        # back goes online as a password sign-in does (identity.join_signed_in). It costs the
        # sign-in budgets of this tab's origin (its address and connection).
        self._guests = services.accounts.guests
        self.external = (
            ExternalSignIn(
                page=page,
                directory=shared.providers,
                accounts=services.accounts,
                origin=self.origin,
                signed_in=self._signed_in_externally,
                failed=self._external_failed,
            )
            if shared.providers
            else None
        )
        self.presence = PresenceSession(
            chat=chat,
            cache=services.presence_cache,
            typing_board=services.typing_board,
            session_key=self.session_key,
            me=self._me,
            marks=shared.guest_marks,
            page=page,
            patches=shared.member_patches,
        )
        self.rooms = RoomsSession(
            chat.rooms,
            shared.runtime.fanout,
            self,
            self._on_event,
            services.profile_cache,
            directory=services.room_directory.rooms,
        )
        self.room_list = RoomList(
            on_open=self._open_room, on_join=self._join_room, on_new_room=self._new_room
        )
        self.view = ChatView(
            shared.rows,
            on_send=self._send,
            on_jump_to_newest=self._jump_to_newest,
            member_rows=shared.member_rows,
            on_typing=self._composer_changed,
            on_toggle_members=self.presence.on_toggle_members,
            room_list=self.room_list,
            on_show_rooms=self._show_rooms,
            on_leave_room=self._leave_room,
            clock=self.clock,
            on_search=self._open_search,
            on_emoji=self._open_emoji,
            on_manage_room=self._manage_room,
        )
        self.emoji = EmojiInput(view=self.view, screen=self.screen)
        self.presence.bind(self.view)
        # Edits, deletes and reactions (ui/message_actions_session.py).
        self.actions = MessageActionsSession(
            chat=chat, page=page, me=self._me, find=self.window.get, origin=self.origin
        )
        self.identity = SessionIdentity(
            chat=chat,
            accounts=services.accounts,
            watch=services.session_watch.watch,
            session_key=self.session_key,
            origin=self.origin,
            leave_grace_seconds=services.settings.leave_grace_seconds,
            join_dialog=self._join_dialog,
            screen=self.screen,
            focus_composer=lambda: self.screen.focus(self.view.message_input),
            connection_changed=self._connection_changed,
            joined=self._joined,
            signed_out=self._signed_out,
            background=self._background,
            adopted=self._account_known,
            came_back=page.web and came_back(page),
        )
        self.account = AccountSession(
            on_profile=self.open_profile,
            accounts=services.accounts,
            view=self.view,
            screen=self.screen,
            auth=lambda: self.identity.auth,
            ended=self.identity.session_ended,
            account_changed=self._account_changed,
            origin=self.origin,
        )
        self.conversation = Conversation(
            history=chat,
            read_marks=chat.rooms,
            window=self.window,
            view=self.view,
            screen=self.screen,
            changes=self.actions,
            me=self._me,
            profiles=services.profile_cache,
            general=services.general_page.read,
            shared_messages=self._shared.messages,
            after_frame=self._shared.frames.after_pass,
        )
        # Muted, archived, slow mode: what the composer says in the room on screen.
        self.standing = RoomStanding(
            rooms=chat.rooms,
            view=self.view,
            screen=self.screen,
            me=self._me,
            room=lambda: self.conversation.room,
            background=self._background,
            clock=self.clock,
        )
        # "Manage room": invitations, slow mode, archive, ownership, members' moderation.
        self.room_admin = RoomAdmin(
            chat=chat,
            screen=self.screen,
            me=self._me,
            room=lambda: self.conversation.room,
            clock=self.clock,
            origin=self.origin,
        )
        # The route /admin: made when opened (ui/session/admin.py).
        self.admin = AdminSession(
            moderation=chat.moderation,
            me=self._me,
            show=self._show_admin,
            leave=self._leave_admin,
            clock=self.clock,
            origin=self.origin,
        )
        self.navigation = Navigation(
            rooms_service=chat.rooms,
            rooms=self.rooms,
            room_list=self.room_list,
            conversation=self.conversation,
            presence=self.presence,
            view=self.view,
            screen=self.screen,
            me=self._me,
            origin=self.origin,
            background=self._background,
            drafts=self.drafts,
            title=self.tab_title,
            entered=self.standing.check,
        )
        self.composer = Composer(
            submit=services.submissions.submit,
            view=self.view,
            screen=self.screen,
            me=self._me,
            room=lambda: self.conversation.room.key,
            restored=self.identity.restored,
            posted=self.conversation.show_own_post,
            origin=self.origin,
            drafts=self.drafts,
        )

        self.search = SearchSession(
            search=chat.search,
            screen=self.screen,
            me=self._me,
            origin=self.origin,
            open_at=self.navigation.open_at,
            room_title=self.navigation.title_of,
            clock=self.clock,
        )

        with services_sent_with_next_update(page):  # its file picker goes with `start`'s add
            self.attachments = AttachmentsSession(
                files=services.files,
                tickets=services.accounts,
                auth=lambda: self.identity.auth,
                me=self._me,
                room=lambda: self.conversation.room.key,
                view=self.view,
                screen=self.screen,
            )
        self.profile = ProfileSession(
            accounts=services.accounts,
            auth=lambda: self.identity.auth,
            origin=self.origin,
            screen=self.screen,
        )

    @property
    def user_name(self) -> str | None:
        return self.identity.user_name

    def _me(self) -> str | None:
        return self.identity.user_name

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        page = self.page
        page.title = APP_TITLE
        apply_theme(page)
        page.on_disconnect = self._on_disconnect
        page.on_connect = self._on_connect
        page.on_close = self._on_close
        page.on_resize = self.presence.on_resize
        page.on_app_lifecycle_state_change = self._on_lifecycle
        page.on_route_change = self._on_route_change
        self._shared.runtime.live_sessions.add(self)
        self._shared.runtime.memory.fit_to(len(self._shared.runtime.live_sessions))
        # Subscribe before reading history and hold live events until it is in: the window drops
        # duplicates, so nothing published meanwhile is lost or shown twice.
        self.rooms.listen_to_general()
        routing.register(page, self._on_routed)  # clicks on shared rows come here
        page.drawer = self.view.drawer
        self.presence.start(page.width)
        self._profiles.subscribe(self._profiles_changed)
        self.room_list.show(
            self.rooms.entries(), self.conversation.room.key, self.rooms.directory()
        )
        with services_sent_with_next_update(page):
            self._prefs = ft.SharedPreferences()  # registers with this page; kept referenced here
        with self.presence.first_send():
            page.add(*self.view.layout())  # with the services made since the page was sent
        # History and identity load in the background so main() returns at once: Flet 1.0.5
        # logs an AttributeError when a client leaves while main() is still running.
        self._history_task = asyncio.create_task(self.conversation.load_history())
        self.identity.start(self._prefs)
        self._wake_at_midnight()
        if page.route == ADMIN_ROUTE:  # "Admins only" until an admin is known to be here
            self._background(self.admin.open())

    def _wake_at_midnight(self) -> None:
        """At the viewer's midnight "Today" becomes "Yesterday": render once then, so a tab
        left open overnight does not keep the old labels until the next message."""
        delay = (self.clock.next_midnight() - datetime.now(UTC)).total_seconds()
        self._midnight = asyncio.get_running_loop().call_later(delay + 1, self._midnight_passed)

    def _midnight_passed(self) -> None:
        if self._closed:
            return
        self._shared.frames.request(self, self._flush)
        self._wake_at_midnight()

    async def _on_disconnect(self, _event: Any) -> None:
        self._background(self.conversation.mark_read())  # what they saw stays read next visit
        if not await self.identity.disconnected():
            # Nobody joined here: nothing worth resuming, so free it now instead of holding a
            # whole page until Flet's session timeout (crawlers, health checks, closed tabs).
            # Its page is gone before `_on_close` runs: stop hearing changes first, or one in
            # between would update a destroyed session (`_on_close` repeats this harmlessly).
            self._stop_listening()
            await forget_flet_session(self.page.session)

    async def _on_connect(self, _event: Any) -> None:
        try:
            await self.screen.reconnected()
        except Exception as error:  # a dialog left on the page: the user is back all the same
            logger.warning("could not let go of the dialogs closing before a reconnect: %r", error)
        await self.identity.reconnected()
        try:
            self.presence.reconnected()
        except Exception:  # the list stays as it was until the next change: the user is back
            logger.exception("could not draw the member list changes missed while away")

    async def _on_lifecycle(self, _event: Any) -> None:
        """The tab was hidden or shown (Flet has updated `page.app_visible` by now)."""
        sent_its_own_changes()  # the title, if it changes, is sent alone
        self.tab_title.visibility_changed(hidden=not self.page.app_visible)

    async def _on_close(self, _event: Any) -> None:
        self._closed = True
        self.identity.closing()
        self.conversation.close()
        self.standing.close()
        routing.unregister(self.page)
        self._stop_listening()
        if self._midnight is not None:
            self._midnight.cancel()
        for task in (self._history_task, *self._tasks):
            if task is not None:
                task.cancel()
        self._shared.runtime.live_sessions.discard(self)
        self._shared.runtime.memory.session_closed(len(self._shared.runtime.live_sessions))
        await self.identity.go_offline()  # after a join still in flight (its task is not cancelled)

    def _stop_listening(self) -> None:
        """No more deliveries, frames, presence or profile changes for this page (idempotent)."""
        self._shared.runtime.fanout.unsubscribe(self)
        self._shared.frames.cancel(self)
        self.presence.close()
        self._profiles.unsubscribe(self._profiles_changed)

    def _joined(self) -> None:
        """Someone is here: their name in the header, then their rooms."""
        self.account.show()
        # The rooms' read brings #general's standing with it (RoomService.rooms_of): the
        # composer's check, made once it is in, reads nothing more.
        self._background(self.navigation.enter_rooms(rooms_read=self._check_standing))
        self._offer_admin()
        if self.admin.is_open:  # /admin was opened before anyone was here: read it again
            self._background(self.admin.open())

    def _check_standing(self) -> None:
        self._background(self.standing.check())

    def _account_changed(self, account: Account) -> None:
        self.identity.account_changed(account)
        self._account_known(account)

    def _account_known(self, account: Account) -> None:
        # Every member list marks guests: this process knows this one's mark already.
        self._shared.guest_marks.set(account.user_name, guest=account.is_guest)

    async def _signed_out(self) -> None:
        """Their account session ended: nothing of theirs stays on screen or keeps arriving
        (their rooms, direct conversations, a draft); #general shows behind the dialog."""
        self.account.hide()
        self.admin.close()
        with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
            self.screen.refresh(*self.view.show_admin_entry(False, self._open_admin))
            self.conversation.admin_known(False)
        self.rooms.reset()
        self.drafts.clear()
        self.view.message_input.value = ""
        self.view.show_composer_error(None)
        self.view.show_composer_status(None)
        with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
            self.screen.refresh(self.view.message_input)
        await self.navigation.switch_to(GENERAL)
        self.navigation.render_rooms()
        await self.standing.check()

    # -- the admin view (the route /admin) -------------------------------------------------------

    def _offer_admin(self) -> None:
        """The header's "Admin" for admins, as the account read when the session was proven
        says (the admin view checks again, and so does the core): no store call per join."""
        auth, me = self.identity.auth, self._me()
        if auth is None or me is None or not auth.account.is_admin:
            return
        if user_key(auth.account.user_name) != user_key(me):
            return
        with contextlib.suppress(RuntimeError):
            self.screen.refresh(*self.view.show_admin_entry(True, self._open_admin))
            self.conversation.admin_known(True)

    async def _open_admin(self, _event: Any) -> None:
        await self.admin.open()
        with contextlib.suppress(RuntimeError):  # the address bar follows
            await self.page.push_route(ADMIN_ROUTE)

    async def _on_route_change(self, event: Any) -> None:
        """The browser's address changed (back, forward, a typed /admin)."""
        if getattr(event, "route", None) == ADMIN_ROUTE:
            if not self.admin.is_open:
                await self.admin.open()
        else:
            self.admin.close()

    def _show_admin(self, control: ft.Control | None) -> None:
        """The admin view in place of the chat, or (None) the chat again."""
        page, main = self.page, self.view.main_row
        page.controls = [main] if control is None else [main, control]
        main.visible = control is None
        with contextlib.suppress(RuntimeError):
            page.update()

    async def _leave_admin(self) -> None:
        with contextlib.suppress(RuntimeError):
            await self.page.push_route("/")

    async def _connection_changed(self, connected: bool) -> None:
        await self.presence.connection_changed(connected=connected)

    def _background(self, work: Awaitable[None]) -> None:
        if self._closed:  # e.g. a join that finished after the close: nothing to start
            if inspect.iscoroutine(work):
                work.close()
            return
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- events from the fan-out, shown once per frame ------------------------------------------

    def _on_event(self, _topic: str, event: Any) -> None:
        here = self.conversation.room.key
        if isinstance(event, MessagePosted):
            if event.message.room != here:
                self._count_elsewhere(event.message)
                return
            self.conversation.hold(event.message)
            self._count_if_hidden(event.message)
        elif isinstance(event, MessagesRestored):
            for message in event.messages:
                if message.room == here:
                    self.conversation.hold(message)
                    self._count_if_hidden(message)
                else:
                    self._count_elsewhere(message)
        elif isinstance(event, MessageChanged):
            if event.message.room != here:
                return  # the other room shows it when it is next opened
            self.actions.changed(event.message)
        elif isinstance(event, MembershipChanged):
            if not self.navigation.membership_changed(event):
                return
            self._rooms_dirty = True
        elif isinstance(event, RoomChanged):
            self._room_changed(event)
        elif isinstance(event, ModerationChanged):
            self._moderated(event)
            return
        else:
            return
        self._shared.frames.request(self, self._flush)

    def _room_changed(self, event: RoomChanged) -> None:
        room = event.room
        if event.created:
            self.rooms.room_created(room)
        else:  # archived, unarchived, slow mode
            self.rooms.room_changed(room)
            if room.key == self.conversation.room.key:
                self.conversation.room = room
                self._background(self.standing.check())
        self._rooms_dirty = True

    def _moderated(self, event: ModerationChanged) -> None:
        """This user was muted, unmuted, kicked or banned (the room's other members hear it
        too: theirs is ignored here). A kick or ban also comes as MembershipChanged, which
        takes the room off the list (and the user to #general if it was open)."""
        if event.action in ("set_role", "transfer"):
            self.presence.role_changed(event.room, event.user_name, event.role)
        me = self._me()
        if me is None or user_key(event.user_name) != user_key(me):
            return
        if event.room == self.conversation.room.key:
            self._background(self.standing.check())
        if event.action in ("kick", "ban"):
            self._background(self._notify(f"You were removed from #{event.room}"))

    async def _notify(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
            self.screen.show_dialog(ft.SnackBar(ft.Text(text, key=keys.MODERATION_NOTICE)))

    def _count_elsewhere(self, message: Message) -> None:
        if self.rooms.count(message):
            self._rooms_dirty = True
            self._shared.frames.request(self, self._flush)

    def _count_if_hidden(self, message: Message) -> None:
        # Only a hidden tab counts the room on screen: the check costs a visible one nothing.
        if self.tab_title.hidden and counts_as_unread(message, self._me()):
            self._missed_here += 1

    def _flush(self) -> None:
        if self._rooms_dirty:
            self._rooms_dirty = False
            self.navigation.render_rooms()
        if self._missed_here:
            self.tab_title.missed_here(self._missed_here)
            self._missed_here = 0
        self.conversation.flush()
        if self._own_profile_changed:
            self._own_profile_changed = False
            self._redraw_own_rows()

    def _profiles_changed(self, changed: frozenset[str]) -> None:
        """People's profiles changed (live/profile_cache.py): the member list and direct
        conversations showing them are drawn again. Message rows already on screen are not
        (that would re-diff every chunk of every session in the room): new rows show the new
        profile; only the author's own sessions redraw their rows, so they see their change."""
        self.presence.profiles_changed(changed)
        me = self._me()
        if self.rooms.talks_with_any(changed):
            self._rooms_dirty = True
        if me is not None and user_key(me) in changed:
            self._own_profile_changed = True
            self._background(self.profile.profile_changed())
        if self._rooms_dirty or self._own_profile_changed:
            self._shared.frames.request(self, self._flush)

    def _redraw_own_rows(self) -> None:
        me = self._me()
        if me is None:
            return
        mine = [
            m
            for m in self.window.messages
            if m.kind is MessageKind.CHAT
            and m.author_kind is AuthorKind.USER
            and user_key(m.user_name) == user_key(me)
        ]
        if mine:
            self.screen.send(self.view.messages.replace(mine))

    # -- handlers the view and the page call ----------------------------------------------------
    # The view is built before the parts that draw into it, so its handlers forward to them.

    def _join_dialog(self) -> JoinDialog:
        return JoinDialog(
            on_join=self._join,
            guests=self._guests,
            focus=self.screen.focus,
            external=self.external.buttons() if self.external is not None else (),
        )

    async def _join(self, event: Any) -> None:
        await self.identity.join(event)

    async def _signed_in_externally(self, signed: SignedIn) -> None:
        await self.identity.join_signed_in(signed)

    async def _external_failed(self, message: str) -> None:
        await self.identity.external_failed(message)

    async def _send(self, event: Any) -> None:
        if await self.emoji.accept(event):
            return  # Enter took the `:smi` suggestion
        await self.composer.send(event)
        self.emoji.suggest(self.view.message_input.value or "")  # none for a cleared field

    async def _composer_changed(self, event: Any) -> None:
        self.emoji.on_change(event)  # sends what it changes, as the typing signal does
        await self.presence.on_composer_change(event)

    async def _open_emoji(self, event: Any) -> None:
        await self.emoji.open_picker(event)

    async def _jump_to_newest(self, event: Any) -> None:
        await self.conversation.jump_to_newest(event)

    async def _open_room(self, key: str) -> None:
        await self.navigation.open_room(key)

    async def _join_room(self, key: str) -> None:
        await self.navigation.join_room(key)

    async def _new_room(self, event: Any) -> None:
        await self.navigation.new_room(event)

    async def _leave_room(self, event: Any) -> None:
        await self.navigation.leave_room(event)

    async def open_profile(self, event: Any = None) -> None:
        """Open the profile dialog (the account menu's "Profile")."""
        await self.profile.open(event)

    async def _open_search(self, event: Any) -> None:
        await self.search.open(event)

    async def _manage_room(self, event: Any) -> None:
        await self.room_admin.open(event)

    async def _show_rooms(self, event: Any) -> None:
        await self.navigation.show_rooms(event)

    async def _on_routed(self, event: RoutedEvent) -> None:
        """A click on a shared row (see ui/routing.py)."""
        if event.action == OPEN_DIRECT:
            await self.navigation.open_direct(event.value)
        elif event.action == LOAD_OLDER:
            await self.conversation.load_older(event)
        elif event.action in (OPEN_IMAGE, DOWNLOAD_FILE):
            await self.attachments.on_routed(event)
        else:
            await self.actions.on_routed(event)
