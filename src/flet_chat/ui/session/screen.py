"""What a session part does to its page, behind a narrow Protocol so the parts run on fakes in
unit tests (a control not added to a page refuses `update()`)."""

from __future__ import annotations

import contextlib
import inspect
from types import SimpleNamespace
from typing import Any, Protocol

import flet as ft

from flet_chat.flet_compat import (
    ShiftEnterTextField,
    send_changed_scalars,
    send_page_title,
    sent_its_own_changes,
    takes_ready_made,
)
from flet_chat.ui.updates import send_updates
from flet_chat.ui.views.chat_view import ChatView
from flet_chat.ui.views.message_list import Update

# Where Flet's show_dialog keeps the dismiss handler it wraps a dialog's own in (Flet 1.0.5,
# base_page.py): it takes the dialog off the page.
_FLET_DISMISS_WRAPPER = "_managed_dialog_dismiss_wrapper"


class Screen(Protocol):
    def refresh(self, *controls: ft.Control) -> None:
        """Send these controls' changes to the browser."""

    def send(self, updates: list[Update]) -> None:
        """Send the message list's updates (rows, chunks, controls)."""

    async def focus(self, field: ft.TextField) -> None: ...

    async def reconnected(self) -> None:
        """The browser came back on a new connection."""

    def set_title(self, title: str) -> None:
        """The browser tab's (or window's) title."""

    def show_dialog(self, dialog: ft.DialogControl) -> None: ...

    def pop_dialog(self) -> None: ...

    def close_dialog(self, dialog: ft.DialogControl) -> None:
        """Close this dialog, whichever is on top."""

    async def show_drawer(self) -> None: ...

    async def close_drawer(self) -> None: ...


class PageScreen:
    """The Screen of a real Flet page."""

    def __init__(self, page: ft.Page) -> None:
        self._page = page
        self._waiting: dict[int, ft.DialogControl] = {}  # to show again once Flutter drops them

    def refresh(self, *controls: ft.Control) -> None:
        for control in controls:
            control.update()

    def send(self, updates: list[Update]) -> None:
        send_updates(self._page, updates)

    def set_title(self, title: str) -> None:
        send_page_title(self._page, title)

    async def focus(self, field: ft.TextField) -> None:
        # RuntimeError: the tab closed while the server asked it to focus; nothing is left to focus.
        with contextlib.suppress(RuntimeError):
            if isinstance(field, ShiftEnterTextField):  # its focus() cannot reach it (flet_compat)
                field.ask_focus()
                field.update()
            else:
                await field.focus()  # type: ignore[no-untyped-call]  # Flet 1.0.5: unannotated

    def show_dialog(self, dialog: ft.DialogControl) -> None:
        if not self._on_page(dialog):
            if not isinstance(dialog, ft.SnackBar):
                self._waiting.clear()  # a dialog asked for later comes first
            self._page.show_dialog(dialog)
            return
        if dialog.open:
            # Showing, as far as the server knows; a click that reaches what is under it means
            # the browser is closing it (a tap outside, Esc) and will say so. Flet would refuse.
            return
        # Closed and still closing (search clicked again at once): Flutter says it is gone
        # ("open" false, then "dismiss", which takes it off the page) only after its closing
        # animation. "open" set again before that would be undone by it, and Flet refuses a
        # dialog still on the page (an error that ends the session): shown again once gone.
        if self._waiting.get(id(dialog)) is dialog:
            return
        self._waiting[id(dialog)] = dialog
        takes_it_off = dialog.on_dismiss  # Flet's, set by show_dialog (or an earlier then_show)

        async def then_show(*args: Any) -> None:
            if callable(takes_it_off) and inspect.isawaitable(result := takes_it_off(*args)):
                await result
            if self._waiting.pop(id(dialog), None) is not None and not self._on_page(dialog):
                with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
                    self._page.show_dialog(dialog)

        dialog.on_dismiss = then_show

    async def reconnected(self) -> None:
        """The browser came back and was sent the page again: a dialog it was closing is a
        closed one there, and its "dismiss" went with the old connection. Taken off the page
        as Flet's dismissal does (`data` False: not the dialog's own dismissal, so its own
        on_dismiss is not called), and shown again if it was asked for meanwhile."""
        for dialog in [d for d in self._page._dialogs.controls if not d.open]:
            handler: Any = dialog.on_dismiss  # Flet's wrapper (or then_show): one argument
            flets = getattr(dialog, _FLET_DISMISS_WRAPPER, None)
            if handler is None or not (handler is flets or id(dialog) in self._waiting):
                continue  # not put there by show_dialog: not ours to take off
            result = handler(SimpleNamespace(data=False))
            if inspect.isawaitable(result):
                await result

    def _on_page(self, dialog: ft.DialogControl) -> bool:
        return any(shown is dialog for shown in self._page._dialogs.controls)

    def pop_dialog(self) -> None:
        top = next((d for d in reversed(self._page._dialogs.controls) if d.open), None)
        if top is not None:
            self.close_dialog(top)

    def close_dialog(self, dialog: ft.DialogControl) -> None:
        # What Flet's pop_dialog does to the top one; Flet drops it from the page once Flutter
        # says it is dismissed.
        self._waiting.pop(id(dialog), None)  # asked for again while closing, and closed again
        if not dialog.open:
            return
        dialog.open = False
        with contextlib.suppress(RuntimeError):  # the tab closed, and the dialog with it
            if not takes_ready_made(self._page):
                dialog.update()
                return
            # "open" alone: Flet's update() would diff the whole dialog (the join dialog's is
            # most of a join's closing cost) for a client that is about to drop it. What else
            # changed in it stays due, and goes whole if the dialog is shown again (it is
            # added to the page anew then).
            send_changed_scalars(self._page, dialog)
            sent_its_own_changes()  # as update() would have said

    async def show_drawer(self) -> None:
        await self._page.show_drawer()  # type: ignore[no-untyped-call]

    async def close_drawer(self) -> None:
        await self._page.close_drawer()  # type: ignore[no-untyped-call]


def show_under_field(view: ChatView, screen: Screen, message: str | None) -> None:
    """An error (or None to clear it) under the composer."""
    view.show_composer_error(message)
    screen.refresh(view.message_input)
