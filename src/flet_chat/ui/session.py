"""SessionController: owns one Flet session's state, subscriptions and background tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

import flet as ft

from flet_chat.bootstrap import Services
from flet_chat.core.errors import JOIN_BEFORE_SENDING, JOIN_FIRST, ChatError
from flet_chat.core.events import (
    MembershipChanged,
    MessageChanged,
    MessagePosted,
    MessagesRestored,
    RoomChanged,
)
from flet_chat.core.limits import DEFAULT_ROOM, MAX_RENDERED_MESSAGES
from flet_chat.core.models import Message, MessageKind, Room, RoomKind
from flet_chat.core.rate_limit import Origin
from flet_chat.core.room_service import GENERAL, title_for
from flet_chat.core.rooms import clean_room_name, user_key
from flet_chat.flet_compat import forget_flet_session
from flet_chat.submit import Submitted
from flet_chat.ui import routing
from flet_chat.ui.message_actions_session import MessageActionsSession
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.presence_session import PresenceSession
from flet_chat.ui.rooms_session import RoomsSession
from flet_chat.ui.routing import RoutedEvent
from flet_chat.ui.shared import ProcessShared
from flet_chat.ui.theme import apply_theme
from flet_chat.ui.updates import send_updates
from flet_chat.ui.views.chat_view import ChatView
from flet_chat.ui.views.join_dialog import JoinDialog
from flet_chat.ui.views.member_list import OPEN_DIRECT
from flet_chat.ui.views.message_list import CHUNK_SIZE, Update
from flet_chat.ui.views.room_list import RoomList

logger = logging.getLogger(__name__)

SEND_FAILED = "Could not send the message. Check your connection and try again."
SEND_RETRYING = "Not sent yet: retrying..."
# About 15 s of retries before a send is reported failed (the text stays in the composer).
SEND_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)
HISTORY_FAILED = "Could not load the conversation. Trying again..."
HISTORY_RETRY_MAX_SECONDS = 5.0

# Client storage (localStorage in a browser) holds a signed token naming the user, so a new
# session (a new tab, or a reconnect that reached another process or machine) is the same user.
IDENTITY_STORAGE_KEY = "flet_chat.identity"
CLIENT_STORAGE_TIMEOUT = 5.0


async def focus(field: ft.TextField) -> None:
    # RuntimeError: the tab closed while the server asked it to focus; nothing is left to focus.
    with contextlib.suppress(RuntimeError):
        await field.focus()  # type: ignore[no-untyped-call]  # Flet 1.0.5 leaves it unannotated


class SessionController:
    def __init__(
        self,
        page: ft.Page,
        services: Services,
        shared: ProcessShared,
    ) -> None:
        self.page = page
        self.chat = services.chat
        self.identity = services.identity
        self.submissions = services.submissions
        # Presence counts sessions, not people: this key is unique across processes.
        self.session_key = uuid.uuid4().hex
        # Rate limits count per tab and per client IP (Flet's, from the ASGI scope, where a
        # forwarded address counts only from FORWARDED_ALLOW_IPS) as well as per user.
        self.origin = Origin(page.client_ip or None, self.session_key)
        self._prefs: ft.SharedPreferences | None = None
        self._restore_task: asyncio.Task[None] | None = None
        self.leave_grace_seconds = services.settings.leave_grace_seconds
        self.user_name: str | None = None
        self.window = MessageWindow(MAX_RENDERED_MESSAGES, trim_step=CHUNK_SIZE)
        self.presence = PresenceSession(
            chat=services.chat,
            cache=services.presence_cache,
            typing_board=services.typing_board,
            session_key=self.session_key,
            me=lambda: self.user_name,
        )
        self.room: Room = GENERAL  # the room on screen
        self.rooms = RoomsSession(services.chat.rooms, shared.fanout, self, self._on_event)
        self.room_list = RoomList(
            on_open=self._open_room, on_join=self._join_room, on_new_room=self._on_new_room
        )
        self.view = ChatView(
            shared.rows,
            on_send=self._send,
            on_load_older=self._load_older,
            on_jump_to_newest=self._jump_to_newest,
            member_rows=shared.member_rows,
            on_typing=self.presence.on_composer_change,
            on_toggle_members=self.presence.on_toggle_members,
            room_list=self.room_list,
            on_show_rooms=self._show_rooms,
            on_leave_room=self._leave_room,
        )
        self.presence.bind(self.view)
        # Edits, deletes and reactions (ui/message_actions_session.py).
        self.actions = MessageActionsSession(
            chat=services.chat,
            page=page,
            me=lambda: self.user_name,
            find=lambda message_id: self.window.get(message_id),
            origin=self.origin,
        )
        self.join_dialog = JoinDialog(on_join=self._join)
        self._shared = shared
        # Presence: every way in (a typed name, a restored identity, a return after being
        # announced gone) goes through _go_online and every way out through _go_offline; they
        # take turns on one lock, and a join that ends after the tab dropped or closed is
        # followed by the leave that drop or close would have made (see _join_and_settle).
        self._presence_lock = asyncio.Lock()
        self._joining = False  # a join is in flight
        self._join_task: asyncio.Task[None] | None = None
        self._online = False  # joined and not (yet) announced gone
        self._connected = True
        self._closed = False
        self._sending: set[str] = set()
        self._loading_older = False
        self._leave_task: asyncio.Task[None] | None = None
        self._history_loaded = False
        self._history_task: asyncio.Task[None] | None = None
        self._pending: list[Message] = []
        self._rooms_dirty = False
        self._switches = 0  # a newer switch of rooms supersedes one still loading
        self._tasks: set[asyncio.Task[None]] = set()
        self._opening_room = False
        self._verified_name: str | None = None  # the name this browser's identity token proves

    async def start(self) -> None:
        page = self.page
        page.title = "Flet Chat"
        apply_theme(page)
        page.on_disconnect = self._on_disconnect
        page.on_connect = self._on_connect
        page.on_close = self._on_close
        page.on_resize = self.presence.on_resize
        self._shared.live_sessions.add(self)
        self._shared.memory.fit_to(len(self._shared.live_sessions))
        # Subscribe before reading history and hold live events until it is in: the window drops
        # duplicates, so nothing published meanwhile is lost or shown twice.
        self.rooms.listen_to_general()
        routing.register(page, self._on_routed)  # clicks on shared rows come here
        page.drawer = self.view.drawer
        self.presence.start(page.width)
        self.room_list.show(self.rooms.entries(), self.room.key, self.rooms.directory())
        page.add(*self.view.layout())
        self._prefs = ft.SharedPreferences()  # registers with this page; kept referenced here
        # History and identity load in the background so main() returns at once: Flet 1.0.5
        # logs an AttributeError when a client leaves while main() is still running.
        self._history_task = asyncio.create_task(self._load_history())
        self._restore_task = asyncio.create_task(self._restore_or_ask_name())

    async def _restore_or_ask_name(self) -> None:
        name = None
        try:
            async with asyncio.timeout(CLIENT_STORAGE_TIMEOUT):
                token = await self._prefs.get(IDENTITY_STORAGE_KEY) if self._prefs else None
            name = self.identity.verify(token)
        except (TimeoutError, RuntimeError) as error:  # no answer, or the tab already closed
            logger.info("client storage unavailable, asking for a name: %r", error)
        if name is not None:
            self._verified_name = name
            try:
                await self._go_online(name, proven=True, origin=self.origin)
            except Exception:
                logger.exception("could not restore %s; asking for a name", name)
            else:
                if self._online:
                    self._background(self._enter_rooms())
                    # A fresh token: the name stays this browser's as long as it keeps visiting.
                    self._background(self._remember_identity(name))
                    return
        if self._closed:
            return
        with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
            self.page.show_dialog(self.join_dialog.dialog)

    async def _remember_identity(self, name: str) -> None:
        if self._prefs is None:
            return
        try:
            async with asyncio.timeout(CLIENT_STORAGE_TIMEOUT):
                await self._prefs.set(IDENTITY_STORAGE_KEY, self.identity.issue(name))
        except (TimeoutError, RuntimeError) as error:
            logger.info("could not keep the identity in client storage: %r", error)

    async def _load_history(self) -> None:
        """Load the room on screen; while the store is away keep trying (and say so), so the
        conversation appears by itself once it is back."""
        room, switch = self.room, self._switches
        delays = iter(SEND_RETRY_DELAYS)  # then every HISTORY_RETRY_MAX_SECONDS
        while True:
            try:
                latest = await self.chat.latest(room.key, reader=self.user_name)
                topic = await self.chat.topic(room.key)
                break
            except ChatError as error:  # not allowed to read it (any more)
                return self._show_room_error(str(error))
            except Exception as error:
                logger.warning("could not load the history of %s: %r", room.key, error)
                if self.view.message_input.error != HISTORY_FAILED:
                    self._show_room_error(HISTORY_FAILED)
                await asyncio.sleep(next(delays, HISTORY_RETRY_MAX_SECONDS))
                if switch != self._switches:
                    return
        if switch != self._switches:
            return  # the user moved on to another room meanwhile
        if self.view.message_input.error == HISTORY_FAILED:
            self.view.show_composer_error(None)
            self.view.message_input.update()
        self.window.reset(latest.messages, has_older=latest.has_older)
        self._history_loaded = True
        self._show_header(topic)
        self._flush()

    def _on_event(self, _topic: str, event: Any) -> None:
        here = self.room.key
        if isinstance(event, MessagePosted):
            if event.message.room != here:
                self._count_elsewhere(event.message)
                return
            self._pending.append(event.message)
        elif isinstance(event, MessagesRestored):
            for message in event.messages:
                if message.room == here:
                    self._pending.append(message)
                else:
                    self._count_elsewhere(message)
        elif isinstance(event, MessageChanged):
            if event.message.room != here:
                return  # the other room shows it when it is next opened
            self.actions.changed(event.message)
        elif isinstance(event, MembershipChanged):
            self._membership_changed(event)
            return
        elif isinstance(event, RoomChanged):
            self.rooms.room_created(event.room)
            self._rooms_dirty = True
        else:
            return
        self._shared.frames.request(self, self._flush)

    def _count_elsewhere(self, message: Message) -> None:
        if self.rooms.count(message):
            self._rooms_dirty = True
            self._shared.frames.request(self, self._flush)

    def _flush(self) -> None:
        if self._rooms_dirty:
            self._rooms_dirty = False
            self._render_rooms()
        if not self._history_loaded:
            return  # flushed again once history is in
        pending, self._pending = self._pending, []
        for message in pending:
            self.window.add_live(message)
            if message.kind is MessageKind.TOPIC and message.room == self.room.key:
                self._show_header(message.text)
        changed = self.actions.take_changes(self.window)
        self._render()
        if changed:  # edited, deleted or reacted to: their chunks re-render through Flet's diff
            self._send_updates(self.view.messages.replace(changed))

    def _render(self) -> None:
        self._send_updates(self.view.render(self.window))

    def _send_updates(self, updates: list[Update]) -> None:
        send_updates(self.page, updates, self._shared.rows)

    async def _join(self, _event: Any) -> None:
        if self.user_name is not None or self._joining:
            return
        typed = self.join_dialog.name_input.value or ""
        # This browser's token names this user (a restore that failed for a moment, say).
        verified = self._verified_name
        proven = verified is not None and typed.strip().casefold() == verified.casefold()
        try:
            await self._go_online(
                verified if proven and verified else typed, proven=proven, origin=self.origin
            )
        except ChatError as error:
            self.join_dialog.show_error(str(error))
            return
        except Exception:
            logger.exception("join failed")
            self.join_dialog.show_error("Could not join right now. Try again.")
            return
        if self.user_name is None or self._closed:
            return  # the tab closed before the join
        self.page.pop_dialog()
        await focus(self.view.message_input)
        self._background(self._enter_rooms())
        await self._remember_identity(self.user_name)

    async def _send(self, event: Any) -> None:
        field = self.view.message_input
        restoring = self._restore_task
        if self.user_name is None and restoring is not None and not restoring.done():
            # Typed before the stored identity came back (one round trip): wait for it.
            await asyncio.wait([restoring], timeout=CLIENT_STORAGE_TIMEOUT + 5)
        if self.user_name is None:
            self.view.show_composer_error(JOIN_BEFORE_SENDING)
            field.update()
            return
        # Flet applies typed text before it runs a handler, so by now field.value may already
        # hold what the user typed next; a submit event carries the text as it was on Enter.
        data = getattr(event, "data", None)
        text = data if isinstance(data, str) else field.value
        if not text.strip():
            return  # Enter on an empty composer is not an error worth showing.
        if text in self._sending:
            return  # Enter pressed twice, or Enter and the button: it is already on its way
        self._sending.add(text)
        try:
            done = await self._submit_with_retries(self.user_name, text)
        finally:
            self._sending.discard(text)
        if done is None:
            return  # refused or failed: the text stays, the reason shows under it
        if field.value == text:  # keep whatever the user has typed since
            field.value = ""
        # A command's private answer (unknown command, /help) shows here only, never stored.
        self.view.show_composer_status(done.hint)
        field.update()
        if done.message is not None and not (
            self.window.at_live_edge and self.view.message_list.auto_scroll
        ):
            await self._jump_to_newest(None)
        await focus(field)

    async def _submit_with_retries(self, user_name: str, text: str) -> Submitted | None:
        """Submit (a message or a command), retrying while the store is unreachable; None if it
        was refused or kept failing. One client id for every attempt: an attempt that committed
        although its answer was lost is stored once."""
        field = self.view.message_input
        client_id = uuid.uuid4().hex
        for attempt, delay in enumerate((*SEND_RETRY_DELAYS, None)):
            try:
                return await self.submissions.submit(
                    user_name,
                    text,
                    room=self.room.key,
                    client_id=client_id,
                    is_retry=attempt > 0,
                    origin=self.origin,
                )
            except ChatError as error:
                self.view.show_composer_error(str(error))
                field.update()
                return None
            except Exception as error:
                if delay is None:
                    logger.warning("send failed after %d attempts: %r", attempt + 1, error)
                    self.view.show_composer_error(SEND_FAILED)  # the text stays in the field
                    field.update()
                    return None
                if attempt == 0:
                    logger.warning("send failed, retrying: %r", error)
                    self.view.show_composer_status(SEND_RETRYING)
                    field.update()
            await asyncio.sleep(delay)  # back off before trying the store again
        return None  # not reached: the last delay is None

    async def _load_older(self, _event: Any) -> None:
        oldest = self.window.oldest_id
        if oldest is None or self._loading_older:
            return  # a double click must not load (and skip) a page twice
        self._loading_older = True
        try:
            older = await self.chat.before(oldest, self.room.key, reader=self.user_name)
        finally:
            self._loading_older = False
        self.window.prepend_older(older.messages, has_older=older.has_older)
        # Keep the reader where they are instead of snapping back to the newest message.
        self._set_auto_scroll(False)

    async def _jump_to_newest(self, _event: Any) -> None:
        latest = await self.chat.latest(self.room.key, reader=self.user_name)
        self.window.reset(latest.messages, has_older=latest.has_older)
        self._set_auto_scroll(True)

    def _set_auto_scroll(self, enabled: bool) -> None:
        changed = self.view.message_list.auto_scroll != enabled
        self.view.message_list.auto_scroll = enabled
        updates = self.view.render(self.window)
        # `is`, not `in`: controls are dataclasses that compare by value.
        if changed and all(c is not self.view.message_list for c in updates):
            updates.insert(0, self.view.message_list)
        self._send_updates(updates)

    async def _on_disconnect(self, _event: Any) -> None:
        self._connected = False
        self._background(self._mark_read())  # what they saw stays read on their next visit
        if self.user_name is None and not self._joining:
            # Nobody joined here: nothing worth resuming, so free it now instead of holding a
            # whole page until Flet's session timeout (crawlers, health checks, closed tabs).
            self._closed = True  # a restore that read its token just now must not join
            await forget_flet_session(self.page.session)
            return
        # A join in flight sees the drop when it ends (_join_and_settle) and does what follows.
        if self._online:
            await self._went_away()

    async def _went_away(self) -> None:
        """The tab of a joined session dropped. A reload reconnects to the same session within a
        second or two: only a user who stays away for the grace period is announced as gone,
        but the member list drops them at once."""
        if self._leave_task is None:
            self._leave_task = asyncio.create_task(self._leave_after_grace())
        await self.presence.connection_changed(connected=False)

    async def _on_connect(self, _event: Any) -> None:
        self._connected = True
        self._cancel_leave_timer()
        if self.user_name is not None and not self._online and not self._joining:
            try:  # announced gone (or being announced): back again
                await self._go_online(self.user_name, proven=True)
            except Exception as error:
                logger.warning("could not rejoin %s: %r", self.user_name, error)
        else:
            await self.presence.connection_changed(connected=True)

    async def _on_close(self, _event: Any) -> None:
        self._closed = True
        self._cancel_leave_timer()
        routing.unregister(self.page)
        self._shared.fanout.unsubscribe(self)
        self._shared.frames.cancel(self)
        for task in (self._history_task, self._restore_task, *self._tasks):
            if task is not None:
                task.cancel()
        self._shared.live_sessions.discard(self)
        self._shared.memory.session_closed(len(self._shared.live_sessions))
        self.presence.close()
        await self._go_offline()  # after a join still in flight (its task is not cancelled)

    async def _leave_after_grace(self) -> None:
        await asyncio.sleep(self.leave_grace_seconds)
        self._leave_task = None  # from here on a reconnect waits for the leave, then rejoins
        await self._go_offline()

    async def _go_online(self, name: str, *, proven: bool, origin: Origin | None = None) -> None:
        """The session's one way into presence. The join runs in a task of its own that nothing
        cancels (a closing session cancels the restore task awaiting it): stopped half-way it
        could leave the session online with nobody to take it back. A join the user asked for
        passes the `origin` whose join budgets it costs; coming back after a reconnect does not."""
        self._joining = True
        self._join_task = asyncio.create_task(self._join_and_settle(name, proven, origin))
        await asyncio.shield(self._join_task)

    async def _join_and_settle(self, name: str, proven: bool, origin: Origin | None) -> None:
        try:
            async with self._presence_lock:
                if self._closed:
                    return
                self.user_name, _ = await self.chat.join(
                    name, self.session_key, proven=proven, origin=origin
                )
                self._online = True
        finally:
            self._joining = False
        # The tab may have gone while the join ran; its disconnect or close found no one joined.
        if self._closed:
            await self._go_offline()
        elif not self._connected:
            await self._went_away()

    async def _go_offline(self) -> None:
        """The session's one way out of presence: after any join in flight, at most once per
        join."""
        async with self._presence_lock:
            name = self.user_name
            if name is None or not self._online:
                return
            self._online = False
            try:
                await self.chat.leave(name, self.session_key)
            except Exception:
                logger.exception("could not record that %s left", name)

    def _cancel_leave_timer(self) -> None:
        if self._leave_task is not None:
            self._leave_task.cancel()
            self._leave_task = None

    # -- rooms ----------------------------------------------------------------------------------

    async def _enter_rooms(self) -> None:
        """The user is known: hear their rooms and show them with their unread counts. Retried
        while the store is away (the user chats in #general meanwhile)."""
        name = self.user_name
        if name is None:
            return
        for delay in (*SEND_RETRY_DELAYS, None):
            try:
                await self.rooms.load(name)
                break
            except Exception as error:
                logger.warning("could not load the rooms of %s: %r", name, error)
                if delay is None:
                    return
                await asyncio.sleep(delay)  # back off before asking the store again
        self._render_rooms()

    def _render_rooms(self) -> None:
        shown = self.room_list.show(self.rooms.entries(), self.room.key, self.rooms.directory())
        for control in shown:
            with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
                control.update()

    def _show_header(self, topic: str | None) -> None:
        room = self.room
        can_leave = room.kind is RoomKind.PUBLIC and room.key != DEFAULT_ROOM
        for control in self.view.show_room(
            title_for(room, self.user_name), topic, can_leave=can_leave
        ):
            control.update()

    async def _open_room(self, key: str) -> None:
        room = self.rooms.get(key)
        if room is not None:
            await self._switch_to(room)

    async def _switch_to(self, room: Room) -> None:
        """Show `room`: mark the one left read, load the new one's history and members."""
        if self.view.narrow:
            with contextlib.suppress(RuntimeError):
                await self.page.close_drawer()  # type: ignore[no-untyped-call]
        if room.key == self.room.key:
            return
        await self._mark_read()
        self._switches += 1
        self.room, self._history_loaded, self._pending = room, False, []
        self.rooms.seen(room.key)
        self._render_rooms()
        members = list(room.members) if room.kind is RoomKind.DIRECT else None
        if room.kind is RoomKind.PUBLIC and room.key != DEFAULT_ROOM:
            try:
                members = await self.chat.rooms.members(room.key)
            except Exception as error:  # the store is away: the list fills in on the next change
                logger.warning("could not read the members of %s: %r", room.key, error)
                members = []
        self.presence.show_room(room.key, members)
        self._show_header(None)
        # A room opens at its newest message, wherever the last one was scrolled to.
        self.view.message_list.auto_scroll = True
        await self._load_history()
        await self._mark_read()

    async def _mark_read(self) -> None:
        """The user has seen the room on screen up to its newest row."""
        newest = self.window.messages[-1].id if self.window.messages else None
        if self.user_name is None or newest is None or not self._history_loaded:
            return
        try:
            await self.chat.rooms.mark_read(self.user_name, self.room.key, newest)
        except Exception:
            logger.warning("could not mark %s read for %s", self.room.key, self.user_name)

    async def _on_new_room(self, event: Any) -> None:
        """ "dev" in the field: open #dev if the user is in it, join it if it exists, else
        create it."""
        field = self.room_list.new_room_input
        # As in the composer: the submit event carries the text as it was on Enter.
        data = getattr(event, "data", None)
        text = data if isinstance(data, str) else (field.value or "")
        if self._opening_room:
            return  # Enter pressed twice: the first one is on its way
        self._opening_room = True
        try:
            if self.user_name is None:
                raise ChatError(JOIN_FIRST)
            key = clean_room_name(text)
            if self.rooms.is_in(key):
                room = self.rooms.get(key) or GENERAL
            else:  # the directory a session has may not list every room: the server decides
                room = await self.chat.rooms.join_or_create(self.user_name, key, origin=self.origin)
        except ChatError as error:
            field.error = str(error)
            field.update()
            return
        finally:
            self._opening_room = False
        field.value, field.error = "", None
        field.update()
        self.rooms.joined(room)
        await self._switch_to(room)

    async def _join_room(self, key: str) -> None:
        if self.user_name is None:
            return self._show_room_error(JOIN_FIRST)
        try:
            room = await self.chat.rooms.join(self.user_name, key)
        except ChatError as error:
            return self._show_room_error(str(error))
        self.rooms.joined(room)
        await self._switch_to(room)

    async def _leave_room(self, _event: Any) -> None:
        room = self.room
        if self.user_name is None:
            return
        try:
            await self.chat.rooms.leave(self.user_name, room.key)
        except ChatError as error:
            return self._show_room_error(str(error))
        await self._switch_to(GENERAL)
        self.rooms.left(room.key)
        self._render_rooms()

    async def _open_direct(self, other: str) -> None:
        if self.user_name is None:
            return self._show_room_error(JOIN_FIRST)
        try:
            room = await self.chat.rooms.open_direct(self.user_name, other, origin=self.origin)
        except ChatError as error:
            return self._show_room_error(str(error))
        self.rooms.joined(room)
        await self._switch_to(room)

    def _show_room_error(self, message: str) -> None:
        self.view.show_composer_error(message)
        self.view.message_input.update()

    async def _show_rooms(self, _event: Any) -> None:
        await self.page.show_drawer()  # type: ignore[no-untyped-call]

    def _membership_changed(self, event: MembershipChanged) -> None:
        me = self.user_name
        if me is None or user_key(event.user_name) != user_key(me):
            self.presence.membership_changed(event.room.key, event.user_name, joined=event.joined)
            return
        # This user joined or left in another tab (or someone opened a conversation with them).
        if event.joined:
            self.rooms.joined(event.room)
        elif event.room.key == self.room.key:
            self._background(self._switch_to(GENERAL))
            self.rooms.left(event.room.key)
        else:
            self.rooms.left(event.room.key)
        self._rooms_dirty = True
        self._shared.frames.request(self, self._flush)

    def _background(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_routed(self, event: RoutedEvent) -> None:
        """A click on a shared row (see ui/routing.py)."""
        if event.action == OPEN_DIRECT:
            await self._open_direct(event.value)
        else:
            await self.actions.on_routed(event)
