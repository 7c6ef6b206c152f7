"""The search dialog: a field for the words, the results newest first (where each was said, by
whom and when, then its text with the words bold), "More results", and "Close". No I/O: the
session part (ui/session/search.py) asks the server and hands the results here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import flet as ft

from flet_chat.core.limits import MAX_SEARCH_LENGTH
from flet_chat.core.markdown import plain
from flet_chat.core.models import Message, MessageKind
from flet_chat.ui import keys
from flet_chat.ui.clock import FALLBACK, Clock, full_timestamp
from flet_chat.ui.search_highlight import highlight_spans, snippet
from flet_chat.ui.theme import NOTICE_COLOR

Handler = Callable[[Any], Awaitable[None]]

TITLE = "Search messages"
SEARCH_LABEL = "Words to find"
NOTHING_FOUND = "No messages with those words."
MORE = "More results"
CLOSE = "Close"
_BOLD = ft.TextStyle(weight=ft.FontWeight.BOLD)


def result_heading(message: Message, room_title: str, clock: Clock) -> str:
    """ "#dev · Ann · Saturday 28 November 2026, 7:33 PM": where, who and when."""
    when = full_timestamp(message.created_at, clock)
    return f"{room_title} \u00b7 {message.user_name} \u00b7 {when}"


def result_text(message: Message, terms: Sequence[str]) -> ft.Text:
    """The message's words (the part around the first match, for a long one), the words looked
    for in bold."""
    # A chat message as its row reads it (Markdown's marks gone: what screen readers hear).
    words = plain(message.text, speech=True) if message.kind is MessageKind.CHAT else message.text
    text = snippet(words, terms)
    if message.kind is MessageKind.ACTION:
        text = f"* {message.user_name} {text}"
    spans = [
        ft.TextSpan(part, style=_BOLD if hit else None)
        for part, hit in highlight_spans(text, terms)
    ]
    return ft.Text(spans=spans, max_lines=3, overflow=ft.TextOverflow.ELLIPSIS)


class SearchDialog:
    def __init__(
        self,
        *,
        on_submit: Handler,
        on_more: Handler,
        on_pick: Callable[[Message], Awaitable[None]],
        on_close: Handler,
    ) -> None:
        self._on_pick = on_pick
        self.input = ft.TextField(
            key=keys.SEARCH_INPUT,
            label=SEARCH_LABEL,
            autofocus=True,
            max_length=MAX_SEARCH_LENGTH,
            counter="",  # the limit is enforced, not counted aloud
            prefix_icon=ft.Icons.SEARCH,
            on_submit=on_submit,
        )
        self.status = ft.Text(key=keys.SEARCH_STATUS, size=12, color=NOTICE_COLOR, visible=False)
        self.results = ft.ListView(key=keys.SEARCH_RESULTS, spacing=2, height=380)
        self.more_button = ft.TextButton(
            content=MORE, key=keys.SEARCH_MORE, visible=False, on_click=on_more
        )
        self.dialog = ft.AlertDialog(
            modal=False,
            title=ft.Text(TITLE),
            semantics_label=TITLE,
            content=ft.Column(
                [self.input, self.status, self.results],
                tight=True,
                width=560,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
            actions=[
                self.more_button,
                ft.TextButton(content=CLOSE, key=keys.SEARCH_CLOSE, on_click=on_close),
            ],
            actions_alignment=ft.MainAxisAlignment.END,
        )
        self.shown: list[Message] = []

    @property
    def query(self) -> str:
        return self.input.value or ""

    def show_results(
        self,
        messages: Sequence[Message],
        terms: Sequence[str],
        *,
        has_more: bool,
        room_title: Callable[[str], str],
        clock: Clock = FALLBACK,
        append: bool = False,
    ) -> list[ft.Control]:
        """Show a page of results (after the ones shown, with `append`); returns the controls
        to send."""
        if not append:
            self.shown = []
            self.results.controls = []
        self.shown.extend(messages)
        self.results.controls.extend(
            self._row(m, terms, room_title(m.room), clock) for m in messages
        )
        self.status.value = "" if self.shown else NOTHING_FOUND
        self.status.visible = not self.shown
        self.input.error = None
        self.more_button.visible = has_more
        return [self.input, self.status, self.results, self.more_button]

    def show_error(self, message: str) -> list[ft.Control]:
        self.input.error = message
        return [self.input]

    def _row(self, message: Message, terms: Sequence[str], title: str, clock: Clock) -> ft.Control:
        async def picked(_event: Any) -> None:
            await self._on_pick(message)

        heading = result_heading(message, title, clock)
        return ft.Container(
            key=keys.search_result(message.id),
            content=ft.Column(
                [ft.Text(heading, size=12, color=NOTICE_COLOR), result_text(message, terms)],
                spacing=2,
            ),
            padding=ft.Padding.symmetric(vertical=6, horizontal=8),
            border_radius=4,
            ink=True,
            on_click=picked,
            tooltip="Open the conversation here",
        )
