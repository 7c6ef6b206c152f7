"""How a row shows a message's revision, and how the window and the list swap in a new one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import flet as ft
import msgpack

from flet_chat.core.models import Message, MessageKind, Reaction
from flet_chat.flet_compat import install_walk_once, pack_control
from flet_chat.testing.flet_client import FletClient
from flet_chat.ui import keys
from flet_chat.ui.clock import FALLBACK
from flet_chat.ui.controls.chat_message import OPEN_ACTIONS, message_row
from flet_chat.ui.controls.reactions import REACT
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.routing import RoutedControl
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.timeline import MessageEntry
from flet_chat.ui.views.message_list import CHUNK_SIZE, MessageList

READER = FletClient("ws://unused")  # only its tree helpers: what a client would show


def msg(i: int, text: str = "", **changes: Any) -> Message:
    base = Message(i, MessageKind.CHAT, "Ann", text or f"m{i}", datetime(2026, 1, 1, tzinfo=UTC))
    return replace(base, **changes)


def shown(row: ft.Control) -> dict[str, Any]:
    install_walk_once()
    return dict(msgpack.unpackb(pack_control(row), strict_map_key=False))


def by_key(tree: dict[str, Any], key: str) -> dict[str, Any] | None:
    return next((c for c in READER.walk(tree) if c.get("key") == key), None)


def routed(row: ft.Control) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    stack: list[Any] = [row]
    while stack:
        control = stack.pop()
        if isinstance(control, RoutedControl):
            found.append(control.route)
        stack += getattr(control, "controls", None) or []
        content = getattr(control, "content", None)
        if isinstance(content, ft.Control):
            stack.append(content)
    return found


def test_a_plain_row_has_a_more_button_and_no_marks() -> None:
    tree = shown(message_row(msg(7, "hello")))
    assert tree["key"] == "msg-7"
    assert READER.texts(tree) == ["A", "Ann", "00:00 UTC", "hello"]
    assert READER.actions_button(7, tree) is not None
    assert routed(message_row(msg(7))) == [(OPEN_ACTIONS, "7")]


def test_an_edited_row_is_marked_and_has_a_new_key() -> None:
    tree = shown(message_row(msg(7, "fixed", revision=2, edited=True)))
    assert tree["key"] == "msg-7-r2"
    assert READER.texts(tree) == ["A", "Ann", "00:00 UTC", "(edited)", "fixed"]


def test_a_deleted_row_is_a_stub_without_text_reactions_or_actions() -> None:
    deleted = msg(7, "gone", revision=3, deleted=True, reactions=(Reaction("👍", ("Bob",)),))
    row = message_row(deleted)
    tree = shown(row)
    assert READER.texts(tree) == ["A", "Ann", "00:00 UTC", "message deleted"]
    assert routed(row) == []


def test_reaction_chips_count_name_and_route_the_emoji() -> None:
    names = tuple(f"user{i}" for i in range(12))
    message = msg(7, reactions=(Reaction("👍", ("Bob", "Cy")), Reaction("🎉", names)))
    row = message_row(message)
    tree = shown(row)
    thumbs = by_key(tree, keys.reaction_chip(7, "👍"))
    party = by_key(tree, keys.reaction_chip(7, "🎉"))
    assert thumbs is not None
    assert party is not None
    assert (READER.texts(thumbs), thumbs["tooltip"]) == (["👍 2"], "Bob, Cy")
    assert READER.texts(party) == ["🎉 12"]
    assert party["tooltip"].endswith("user9 and 2 more")
    assert thumbs["on_click"] is True  # the client sends the tap at all
    assert (REACT, "7:👍") in routed(row)


def test_mentions_are_bold_spans_for_every_viewer() -> None:
    tree = shown(message_row(msg(7, "hi @Bob and @cy.")))
    spans = [c for c in READER.walk(tree) if c.get("_c") == "TextSpan"]
    assert [s["text"] for s in spans] == ["hi ", "@Bob", " and ", "@cy", "."]
    assert [bool(s.get("style")) for s in spans] == [False, True, False, True, False]
    assert "hi @Bob and @cy." in READER.texts(tree)


def test_an_action_row_keeps_its_one_line() -> None:
    tree = shown(message_row(msg(7, "waves", kind=MessageKind.ACTION)))
    assert READER.texts(tree) == ["* Ann waves  00:00 UTC"]


def test_the_row_cache_builds_one_row_per_revision_and_forgets_old_ones() -> None:
    rows = RowCache()
    first, second = msg(1), msg(1, "edited", revision=1, edited=True)
    old = rows.row(first)
    assert rows.row(first) is old
    new = rows.row(second)
    assert new is not old
    assert rows.row(second) is new
    assert rows.row(first) is not old  # evicted: a late session gets a fresh, uncached row
    assert rows.packed(second) is rows.packed(second)


def test_the_window_takes_newer_revisions_only() -> None:
    window = MessageWindow(10)
    window.reset([msg(1), msg(2)], has_older=False)
    newer = msg(2, "new", revision=2)
    assert window.replace(newer)
    assert not window.replace(msg(2, "late", revision=1))  # an older event arriving late
    assert not window.replace(msg(3, revision=1))  # not shown here
    assert window.messages == [msg(1), newer]
    assert window.get(2) == newer
    assert window.get(3) is None


def test_the_list_replaces_a_row_in_its_chunk_only() -> None:
    rows = RowCache()
    view = MessageList(rows, head=ft.TextButton(content="older"))
    history = [msg(i) for i in range(1, 2 * CHUNK_SIZE)]  # and the day's separator: 2 chunks
    view.show(history, has_older=False)
    first_chunk, second_chunk = view.list_view.controls
    changed = msg(3, revision=1, edited=True)
    updates = view.replace([changed])
    assert updates == [first_chunk]
    # Under the day's separator and Ann's first row: the third message continues her group.
    assert view.entries()[3] == MessageEntry(changed, FALLBACK, continued=True)
    assert first_chunk.controls[3] is rows.row(view.entries()[3])  # type: ignore[attr-defined]
    assert view.replace([changed]) == []  # already shown
    assert view.replace([msg(99, revision=1)]) == []  # not in the list
    # The next live message still goes the append way: only the last chunk.
    window = [*history[:2], changed, *history[3:]]
    updates = view.show([*window, msg(100)], has_older=False)
    assert len(updates) == 1
    assert updates[0] is not first_chunk
    assert second_chunk is view.list_view.controls[1]


def test_only_rows_and_columns_with_an_expanding_child_are_sent_as_expand_hosts() -> None:
    """The client reads the host mark only for a child that sets `expand`; a row never changes,
    so the mark goes where nothing expands (bytes to every session). Where a child expands, it
    must stay, or the text column would not take the row's width."""
    for row in (message_row(msg(7, "hello")), message_row(msg(8, "again"), continued=True)):
        tree = shown(row)
        layouts = [c for c in READER.walk(tree) if c.get("_c") in ("Row", "Column")]
        assert layouts
        for layout in layouts:
            expands = any(child.get("expand") for child in layout.get("controls", []))
            marked = (layout.get("_internals") or {}).get("host_expanded") is True
            assert marked == expands, layout
