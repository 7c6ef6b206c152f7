"""SessionController: owns one Flet session's state, subscriptions and background tasks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import flet as ft

from flet_chat.bootstrap import Services
from flet_chat.bus.local import CHAT_TOPIC
from flet_chat.core.errors import ChatError
from flet_chat.core.events import MessagePosted
from flet_chat.core.limits import MAX_RENDERED_MESSAGES
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.theme import apply_theme
from flet_chat.ui.views.chat_view import ChatView
from flet_chat.ui.views.join_dialog import JoinDialog

logger = logging.getLogger(__name__)

SEND_FAILED = "Could not send the message. Check your connection and try again."


async def focus(field: ft.TextField) -> None:
    await field.focus()  # type: ignore[no-untyped-call]  # Flet 1.0.5 leaves it unannotated


class SessionController:
    def __init__(
        self, page: ft.Page, services: Services, live_sessions: set[SessionController]
    ) -> None:
        self.page = page
        self.chat = services.chat
        self.leave_grace_seconds = services.settings.leave_grace_seconds
        self.user_name: str | None = None
        self.window = MessageWindow(MAX_RENDERED_MESSAGES)
        self.view = ChatView(
            on_send=self._send,
            on_load_older=self._load_older,
            on_jump_to_newest=self._jump_to_newest,
        )
        self.join_dialog = JoinDialog(on_join=self._join)
        self._live_sessions = live_sessions
        self._joining = False
        self._loading_older = False
        self._announced_leave = False
        self._leave_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        page = self.page
        page.title = "Flet Chat"
        apply_theme(page)
        page.on_disconnect = self._on_disconnect
        page.on_connect = self._on_connect
        page.on_close = self._on_close
        self._live_sessions.add(self)
        # Subscribe before reading history: the window drops duplicates, so the overlap is harmless
        # and nothing published in between is missed.
        page.pubsub.subscribe_topic(CHAT_TOPIC, self._on_event)
        latest = await self.chat.latest()
        self.window.reset(latest.messages, has_older=latest.has_older)
        self.view.render(self.window)
        page.add(*self.view.layout())
        page.show_dialog(self.join_dialog.dialog)

    async def _on_event(self, _topic: str, event: Any) -> None:
        if isinstance(event, MessagePosted) and self.window.add_live(event.message):
            self.view.render(self.window)
            self.view.message_list.update()

    async def _join(self, _event: Any) -> None:
        if self.user_name is not None or self._joining:
            return
        self._joining = True
        try:
            self.user_name, _ = await self.chat.join(self.join_dialog.name_input.value)
        except ChatError as error:
            self.join_dialog.show_error(str(error))
            return
        except Exception:
            logger.exception("join failed")
            self.join_dialog.show_error("Could not join right now. Try again.")
            return
        finally:
            self._joining = False
        self.page.pop_dialog()
        await focus(self.view.message_input)

    async def _send(self, _event: Any) -> None:
        field = self.view.message_input
        if self.user_name is None:
            self.view.show_composer_error("Join the chat before sending messages.")
            field.update()
            return
        if not field.value.strip():
            return  # Enter on an empty composer is not an error worth showing.
        try:
            await self.chat.post(self.user_name, field.value)
        except ChatError as error:
            self.view.show_composer_error(str(error))
            field.update()
            return
        except Exception:
            logger.exception("send failed")
            self.view.show_composer_error(SEND_FAILED)  # the text stays in the field
            field.update()
            return
        field.value = ""
        self.view.show_composer_error(None)
        field.update()
        if not (self.window.at_live_edge and self.view.message_list.auto_scroll):
            await self._jump_to_newest(None)
        await focus(field)

    async def _load_older(self, _event: Any) -> None:
        oldest = self.window.oldest_id
        if oldest is None or self._loading_older:
            return  # a double click must not load (and skip) a page twice
        self._loading_older = True
        try:
            older = await self.chat.before(oldest)
        finally:
            self._loading_older = False
        self.window.prepend_older(older.messages, has_older=older.has_older)
        # Keep the reader where they are instead of snapping back to the newest message.
        self.view.message_list.auto_scroll = False
        self.view.render(self.window)
        self.page.update()

    async def _jump_to_newest(self, _event: Any) -> None:
        latest = await self.chat.latest()
        self.window.reset(latest.messages, has_older=latest.has_older)
        self.view.message_list.auto_scroll = True
        self.view.render(self.window)
        self.page.update()

    async def _on_disconnect(self, _event: Any) -> None:
        # A reload reconnects to the same session within a second or two; only a user who stays
        # away for the grace period is announced as gone.
        if self.user_name is not None and self._leave_task is None and not self._announced_leave:
            self._leave_task = asyncio.create_task(self._leave_after_grace())

    async def _on_connect(self, _event: Any) -> None:
        self._cancel_leave_timer()
        if self.user_name is not None and self._announced_leave:
            self._announced_leave = False
            await self.chat.join(self.user_name)

    async def _on_close(self, _event: Any) -> None:
        self._cancel_leave_timer()
        self._live_sessions.discard(self)
        await self._announce_leave()

    async def _leave_after_grace(self) -> None:
        await asyncio.sleep(self.leave_grace_seconds)
        self._leave_task = None
        await self._announce_leave()

    async def _announce_leave(self) -> None:
        if self.user_name is None or self._announced_leave:
            return
        self._announced_leave = True
        try:
            await self.chat.leave(self.user_name)
        except Exception:
            logger.exception("could not record that %s left", self.user_name)

    def _cancel_leave_timer(self) -> None:
        if self._leave_task is not None:
            self._leave_task.cancel()
            self._leave_task = None
