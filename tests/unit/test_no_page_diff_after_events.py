"""Flet 1.0.5 diffs the whole page after any control event whose handler called no `update()`
(`Session.after_event`). Handlers that send their changes themselves say so; these tests check
that they do, and that what they send is what the browser needs."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine
from types import SimpleNamespace
from typing import Any

import flet as ft

from flet_chat.flet_compat import OP_REPLACE, LeakSafeFletApp
from flet_chat.testing.flet_client import PATCH, decode
from flet_chat.ui.session.controller import SessionController
from flet_chat.ui.session.screen import PageScreen
from flet_chat.ui.session.tab_title import APP_TITLE, TabTitle
from tests.unit.test_presence_session import RecordingChat, make_session


class Wire(LeakSafeFletApp):
    """A browser session's socket that keeps what is sent (no Flet init: nothing to serve)."""

    frames: list[bytes]

    def send_frame(self, frame: bytes) -> None:
        self.frames.append(frame)


def in_an_event(handler: Callable[[], Coroutine[Any, Any, None]]) -> bool:
    """Run `handler` as Flet runs an event's (a context of its own, the flag reset); whether
    Flet would then leave the page alone."""

    async def event() -> bool:
        ft.context.reset_auto_update()
        await handler()
        return bool(ft.context.was_update_called())

    return contextvars.copy_context().run(asyncio.run, event())


def test_closing_a_dialog_sends_its_open_alone_and_no_page_diff_follows() -> None:
    wire = Wire.__new__(Wire)
    wire.frames = []
    field = ft.TextField(value="typed")
    dialog = ft.AlertDialog(open=True, content=field)
    page: Any = SimpleNamespace(
        session=SimpleNamespace(connection=wire), _dialogs=SimpleNamespace(controls=[dialog])
    )
    screen = PageScreen(page)

    async def close() -> None:
        field.value = ""  # changed, but the dialog is going: not sent
        screen.close_dialog(dialog)

    assert in_an_event(close)
    assert [decode(frame) for frame in wire.frames] == [
        [PATCH, {"id": dialog._i, "patch": [[0], [OP_REPLACE, 0, "open", False]]}]
    ]
    assert dialog.open is False


def test_a_resize_that_changes_nothing_here_leaves_no_page_diff() -> None:
    session = make_session(RecordingChat(), ["Alice"])

    async def resize() -> None:
        await session.on_resize(SimpleNamespace(width=1400))  # wide, as it was

    assert in_an_event(resize)


def test_a_keystroke_in_the_composer_leaves_no_page_diff() -> None:
    session = make_session(RecordingChat(), ["Alice"])

    async def keystroke() -> None:
        await session.on_composer_change(SimpleNamespace(data="hel"))

    assert in_an_event(keystroke)


def test_a_click_outside_the_composer_leaves_no_page_diff() -> None:
    session = make_session(RecordingChat(), ["Alice"])
    keep_focus = session.view.message_input.on_tap_outside
    assert keep_focus is not None

    async def tap_outside() -> None:
        await keep_focus(SimpleNamespace(data=None))  # type: ignore[misc]

    assert in_an_event(tap_outside)


def test_the_tab_hidden_and_shown_again_sends_the_title_alone() -> None:
    wire = Wire.__new__(Wire)
    wire.frames = []
    page: Any = SimpleNamespace(
        _i=1, title=APP_TITLE, app_visible=True, session=SimpleNamespace(connection=wire)
    )
    tab_title = TabTitle(PageScreen(page))
    controller: Any = SimpleNamespace(page=page, tab_title=tab_title)
    tab_title.rooms_changed(3)  # unread in other rooms
    wire.frames.clear()

    async def hidden_or_shown(visible: bool) -> None:
        page.app_visible = visible
        await SessionController._on_lifecycle(controller, SimpleNamespace(data=None))

    assert in_an_event(lambda: hidden_or_shown(False))
    assert wire.frames == []  # hidden: nothing to say yet
    tab_title.missed_here(2)  # two arrived in the room on screen meanwhile
    assert in_an_event(lambda: hidden_or_shown(True))  # seen now: back to the other rooms' 3
    assert [decode(frame) for frame in wire.frames] == [
        [PATCH, {"id": 1, "patch": [[0], [OP_REPLACE, 0, "title", title]]}]
        for title in ("(5) Flet Chat", "(3) Flet Chat")
    ]
