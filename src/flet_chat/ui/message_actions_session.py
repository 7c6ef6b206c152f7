"""One session's part in changing messages: the action sheet behind a row's "more" button,
reactions from the sheet and from chips, the edit and delete dialogs, and changed messages
arriving from the bus. Kept out of SessionController, which only forwards events here.

Rows are shared by every session, so their buttons carry no handlers of this session: they are
RoutedControls, and `on_routed` is what this session registered for them (ui/routing.py). What
the sheet offers is a convenience; the server checks every action again (core/message_actions.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from flet_chat.core.emoji import QUICK_REACTIONS
from flet_chat.core.errors import JOIN_FIRST, ChatError
from flet_chat.core.limits import MAX_REASON_LENGTH
from flet_chat.core.message_actions import is_authors
from flet_chat.core.models import Message
from flet_chat.core.rate_limit import Origin
from flet_chat.core.service import ChatService
from flet_chat.ui import keys
from flet_chat.ui.controls.chat_message import OPEN_ACTIONS
from flet_chat.ui.controls.reactions import REACT
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.routing import RoutedEvent

logger = logging.getLogger(__name__)

FAILED = "Could not change the message right now. Try again."

Action = Callable[[], Awaitable[object]]


def is_own(message: Message, me: str | None) -> bool:
    """Whether the sheet offers Edit and Delete (the server decides again)."""
    return me is not None and not message.deleted and is_authors(message, me)


class MessageActionsSession:
    def __init__(
        self,
        *,
        chat: ChatService,
        page: ft.Page,
        me: Callable[[], str | None],
        find: Callable[[int], Message | None],
        origin: Origin | None = None,
    ) -> None:
        """`find` returns the message as this session shows it (its window, whatever room)."""
        self._chat = chat
        self._page = page
        self._me = me
        self._find = find
        self._origin = origin  # rate limits count per tab and per IP too
        self._pending: list[Message] = []

    # -- changed messages from the bus ----------------------------------------------------------

    def changed(self, message: Message) -> None:
        """Hold a changed message until the session's next frame (as new messages are)."""
        self._pending.append(message)

    def take_changes(self, window: MessageWindow) -> list[Message]:
        """Apply held changes to the window; returns those it shows (their rows need replacing)."""
        if not self._pending:
            return []
        pending, self._pending = self._pending, []
        return [m for m in pending if window.replace(m)]

    # -- clicks on shared rows --------------------------------------------------------------

    async def on_routed(self, event: RoutedEvent) -> None:
        if event.event_name != "click":
            return
        if event.action == OPEN_ACTIONS:
            await self._open_sheet(int(event.value))
        elif event.action == REACT:
            message_id, emoji = event.value.split(":", 1)
            await self._run(self._reaction(int(message_id), emoji), on_error=self._snack)

    def _reaction(self, message_id: int, emoji: str) -> Action:
        async def react() -> object:
            return await self._chat.actions.toggle_reaction(
                self._name(), message_id, emoji, origin=self._origin
            )

        return react

    def _name(self) -> str:
        name = self._me()
        if name is None:
            raise ChatError(JOIN_FIRST)
        return name

    async def _run(self, action: Action, *, on_error: Callable[[str], None]) -> bool:
        """Run a server action; a refusal or failure is shown by `on_error`. True on success."""
        try:
            await action()
            return True
        except ChatError as error:
            on_error(str(error))
        except Exception:
            logger.exception("a message action failed")
            on_error(FAILED)
        return False

    def _snack(self, text: str) -> None:
        """Where an error goes when no dialog is open: a tap on a chip."""
        self._page.show_dialog(ft.SnackBar(ft.Text(text, key=keys.ACTION_SNACK)))

    # -- the action sheet -------------------------------------------------------------------

    async def _open_sheet(self, message_id: int) -> None:
        message = self._find(message_id)
        if message is None or message.deleted:
            return
        me = self._me()
        if me is None:
            self._snack(JOIN_FIRST)
            return
        own = is_own(message, me)
        # Offered to moderators of the room (the core decides again when it is chosen).
        try:
            removable = not own and await self._chat.moderation.may_remove(me, message)
        except Exception as failure:
            logger.warning("could not tell whether a message may be removed: %r", failure)
            removable = False
        error = ft.Text(key=keys.ACTION_ERROR, color=ft.Colors.ERROR, visible=False)

        def show_error(text: str) -> None:
            error.value, error.visible = text, True
            error.update()

        def react_with(emoji: str) -> Callable[[Any], Awaitable[None]]:
            async def react(_event: Any) -> None:
                if await self._run(self._reaction(message_id, emoji), on_error=show_error):
                    self._page.pop_dialog()

            return react

        items: list[ft.Control] = [
            ft.Row(
                wrap=True,
                controls=[
                    ft.TextButton(content=emoji, key=keys.react(emoji), on_click=react_with(emoji))
                    for emoji in QUICK_REACTIONS
                ],
            )
        ]
        if own:

            async def edit(_event: Any) -> None:
                self._page.pop_dialog()
                self._open_edit(message_id)

            async def delete(_event: Any) -> None:
                self._page.pop_dialog()
                self._open_delete(message_id)

            items += [
                ft.ListTile(
                    leading=ft.Icon(ft.Icons.EDIT_OUTLINED),
                    title=ft.Text("Edit"),
                    key=keys.ACTION_EDIT,
                    on_click=edit,
                ),
                ft.ListTile(
                    leading=ft.Icon(ft.Icons.DELETE_OUTLINE),
                    title=ft.Text("Delete"),
                    key=keys.ACTION_DELETE,
                    on_click=delete,
                ),
            ]
        if removable:

            async def remove(_event: Any) -> None:
                self._page.pop_dialog()
                self._open_remove(message_id)

            items.append(
                ft.ListTile(
                    leading=ft.Icon(ft.Icons.REMOVE_CIRCLE_OUTLINE),
                    title=ft.Text("Remove"),
                    key=keys.ACTION_REMOVE,
                    on_click=remove,
                )
            )
        if not own:

            async def report(_event: Any) -> None:
                self._page.pop_dialog()
                self._open_report(message_id)

            items.append(
                ft.ListTile(
                    leading=ft.Icon(ft.Icons.FLAG_OUTLINED),
                    title=ft.Text("Report"),
                    key=keys.ACTION_REPORT,
                    on_click=report,
                )
            )
        items.append(error)
        # No key on a dialog: a closed one stays in the page's dialog list until the client
        # says it was dismissed, and two of one key there made Flet reconcile one into the other.
        sheet = ft.Column(items, tight=True, key=keys.MESSAGE_ACTIONS_SHEET)
        self._page.show_dialog(ft.BottomSheet(ft.Container(sheet, padding=16)))

    # -- edit and delete ----------------------------------------------------------------------

    def _open_edit(self, message_id: int) -> None:
        message = self._find(message_id)
        if message is None:
            return
        field = ft.TextField(
            key=keys.EDIT_MESSAGE_INPUT,
            label="Message",
            value=message.text,
            multiline=True,
            shift_enter=True,
            min_lines=1,
            max_lines=8,
            autofocus=True,
        )

        def show_error(text: str) -> None:
            field.error = text
            field.update()

        async def save(event: Any) -> None:
            # A submit carries the text as it was on Enter (typed props may have moved on).
            data = getattr(event, "data", None)
            text = data if isinstance(data, str) and event.name == "submit" else field.value

            async def edit() -> object:
                return await self._chat.actions.edit(
                    self._name(), message_id, text or "", origin=self._origin
                )

            if await self._run(edit, on_error=show_error):
                self._page.pop_dialog()

        field.on_submit = save
        self._page.show_dialog(
            ft.AlertDialog(
                modal=True,
                title=ft.Text("Edit message"),
                semantics_label="Edit message",
                content=field,
                actions=[
                    ft.TextButton(content="Cancel", key=keys.EDIT_CANCEL, on_click=self._close),
                    ft.FilledButton(content="Save", key=keys.EDIT_SAVE, on_click=save),
                ],
            )
        )

    def _open_delete(self, message_id: int) -> None:
        error = ft.Text(key=keys.DELETE_ERROR, color=ft.Colors.ERROR, visible=False)

        def show_error(text: str) -> None:
            error.value, error.visible = text, True
            error.update()

        async def confirm(_event: Any) -> None:
            async def delete() -> object:
                return await self._chat.actions.delete(
                    self._name(), message_id, origin=self._origin
                )

            if await self._run(delete, on_error=show_error):
                self._page.pop_dialog()

        self._page.show_dialog(
            ft.AlertDialog(
                modal=True,
                title=ft.Text("Delete this message?"),
                semantics_label="Delete this message?",
                content=ft.Column(
                    [ft.Text("Everyone will see that a message was deleted."), error], tight=True
                ),
                actions=[
                    ft.TextButton(content="Cancel", key=keys.DELETE_CANCEL, on_click=self._close),
                    ft.FilledButton(content="Delete", key=keys.DELETE_CONFIRM, on_click=confirm),
                ],
            )
        )

    # -- moderators remove, anyone reports ------------------------------------------------------

    def _open_remove(self, message_id: int) -> None:
        reason = ft.TextField(
            key=keys.REMOVE_REASON, label="Reason (optional)", max_length=MAX_REASON_LENGTH
        )
        error = ft.Text(key=keys.REMOVE_ERROR, color=ft.Colors.ERROR, visible=False)

        def show_error(text: str) -> None:
            error.value, error.visible = text, True
            error.update()

        async def confirm(_event: Any) -> None:
            why = (reason.value or "").strip() or None

            async def remove() -> object:
                return await self._chat.moderation.remove_message(
                    self._name(), message_id, reason=why, origin=self._origin
                )

            if await self._run(remove, on_error=show_error):
                self._page.pop_dialog()

        self._page.show_dialog(
            ft.AlertDialog(
                modal=True,
                title=ft.Text("Remove this message?"),
                semantics_label="Remove this message?",
                content=ft.Column(
                    [ft.Text('Everyone will see "removed by a moderator".'), reason, error],
                    tight=True,
                ),
                actions=[
                    ft.TextButton(content="Cancel", key=keys.REMOVE_CANCEL, on_click=self._close),
                    ft.FilledButton(content="Remove", key=keys.REMOVE_CONFIRM, on_click=confirm),
                ],
            )
        )

    def _open_report(self, message_id: int) -> None:
        field = ft.TextField(
            key=keys.REPORT_REASON,
            label="Why are you reporting this message?",
            multiline=True,
            min_lines=1,
            max_lines=4,
            max_length=MAX_REASON_LENGTH,
            autofocus=True,
        )

        def show_error(text: str) -> None:
            field.error = text
            field.update()

        async def send(_event: Any) -> None:
            async def report() -> object:
                return await self._chat.moderation.report(
                    self._name(), message_id, field.value or "", origin=self._origin
                )

            if await self._run(report, on_error=show_error):
                self._page.pop_dialog()
                self._page.show_dialog(
                    ft.SnackBar(
                        ft.Text("Thanks: the admins will look at it.", key=keys.REPORT_SNACK)
                    )
                )

        self._page.show_dialog(
            ft.AlertDialog(
                modal=True,
                title=ft.Text("Report this message"),
                semantics_label="Report this message",
                content=field,
                actions=[
                    ft.TextButton(content="Cancel", key=keys.REPORT_CANCEL, on_click=self._close),
                    ft.FilledButton(content="Report", key=keys.REPORT_SEND, on_click=send),
                ],
            )
        )

    async def _close(self, _event: Any) -> None:
        self._page.pop_dialog()
