from __future__ import annotations

from datetime import UTC, datetime

import flet as ft
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flet_chat.core.models import Message, MessageKind
from flet_chat.ui.clock import FALLBACK
from flet_chat.ui.controls.load_older import load_older_button
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.timeline import MessageEntry, Separator
from flet_chat.ui.views.message_list import (
    CHUNK_SIZE,
    ListSpliced,
    MessageChunk,
    MessageList,
    _as_shift_and_append,
)


@pytest.mark.parametrize(
    ("current", "desired", "expected"),
    [
        ([], [1, 2], (0, 2)),  # first render
        ([1, 2, 3], [1, 2, 3, 4], (0, 1)),  # a live message
        ([1, 2, 3], [3, 4, 5], (2, 2)),  # the oldest fall off the cap
        ([1, 2, 3], [], (3, 0)),
        ([5, 6], [3, 4, 5, 6], None),  # paged back: rebuild
        ([1, 2, 3], [1, 3, 4], None),  # a gap filled in the middle: rebuild
    ],
)
def test_shift_and_append(
    current: list[int], desired: list[int], expected: tuple[int, int] | None
) -> None:
    assert _as_shift_and_append(current, desired) == expected


def msg(i: int) -> Message:
    # Each by someone else: no groups here (tests/unit/test_timeline.py has them).
    return Message(i, MessageKind.CHAT, f"u{i}", f"m{i}", datetime(2026, 1, 1, tzinfo=UTC))


def test_appends_touch_only_the_last_chunk_and_rows_are_shared() -> None:
    rows = RowCache()
    first = MessageList(rows, head=load_older_button())
    second = MessageList(rows, head=load_older_button())
    history = [msg(i) for i in range(1, 2 * CHUNK_SIZE + 2)]
    first.show(history, has_older=False)
    second.show(history, has_older=False)
    assert first.ids() == [m.id for m in history]

    updates = first.show([*history, msg(100)], has_older=False)
    assert len(updates) == 1
    assert updates[0] is not first.list_view  # one chunk, not the whole list
    last_rows = first.list_view.controls[-1].controls
    assert last_rows[-1] is rows.row(msg(100))
    # The same message is one shared row object in every session's list.
    assert second.list_view.controls[0].controls[0] is first.list_view.controls[0].controls[0]


def test_at_the_cap_a_message_updates_one_chunk_and_the_oldest_fall_off_in_steps() -> None:
    from flet_chat.ui.message_window import MessageWindow

    capacity = 4 * CHUNK_SIZE
    window = MessageWindow(capacity, trim_step=CHUNK_SIZE)
    view = MessageList(RowCache(), head=load_older_button())
    window.reset([msg(i) for i in range(1, capacity + 1)], has_older=False)
    view.show(window.messages, has_older=window.has_older)
    list_updates = splices = 0
    for i in range(capacity + 1, capacity + 1 + 3 * CHUNK_SIZE):
        window.add_live(msg(i))
        updates = view.show(window.messages, has_older=window.has_older)
        assert view.ids() == [m.id for m in window.messages]
        first = view.entries()[:2]
        assert isinstance(first[0], Separator)  # the day of the first row shown, always
        assert first[1] == MessageEntry(window.messages[0], FALLBACK)
        # The last chunk, or the list when chunks come and go; never a chunk sent again.
        assert not any(isinstance(u, MessageChunk) for u in updates)
        list_updates += view.list_view in updates
        splices += any(isinstance(u, ListSpliced) for u in updates)
    # Once per CHUNK_SIZE messages, not on every one, as ready-made splices (the first time, the
    # "older" button appearing above the rows comes with it: ui/updates.py sends it after).
    assert (list_updates, splices) == (0, 3)


def test_a_spare_built_ahead_is_the_next_chunk_and_changes_nothing_sent() -> None:
    rows = RowCache()
    ahead = MessageList(rows, head=load_older_button())
    plain = MessageList(rows, head=load_older_button())
    shown = [msg(i) for i in range(1, CHUNK_SIZE)]
    for view in (ahead, plain):
        view.show(shown, has_older=False)
    assert not ahead.wants_spare()  # the last chunk has room: nothing to build yet
    shown.append(msg(CHUNK_SIZE))
    for view in (ahead, plain):
        view.show(shown, has_older=False)
    assert ahead.wants_spare()  # full: the next message starts a chunk
    ahead.prepare_spare()
    spare = ahead._spare
    assert spare is not None
    assert not ahead.wants_spare()
    ahead.prepare_spare()
    assert ahead._spare is spare  # built once

    shown.append(msg(CHUNK_SIZE + 1))
    with_spare = ahead.show(shown, has_older=False)
    without = plain.show(shown, has_older=False)
    assert ahead.list_view.controls[-1] is spare
    assert spare.controls == [rows.row(msg(CHUNK_SIZE + 1))]
    assert not ahead.wants_spare()
    assert ahead._spare is None
    # The same splice, with the spare in place of a chunk built on the spot.
    (splice,) = with_spare
    (plain_splice,) = without
    assert isinstance(splice, ListSpliced)
    assert isinstance(plain_splice, ListSpliced)
    assert splice.removed == plain_splice.removed
    assert [index for index, _ in splice.added] == [index for index, _ in plain_splice.added]
    assert splice.added[-1][1].chunk is spare  # type: ignore[union-attr]
    assert ahead.entries() == plain.entries()


def test_the_list_holds_what_it_should_after_every_kind_of_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whichever way `show` works out the ListView's new children (a chunk added at the end
    without going through the list, or comparing it whole), they are what `_list_controls`
    says: head, lead rows, the divider before its chunk, the chunks."""
    from flet_chat.ui.message_window import MessageWindow

    window = MessageWindow(6 * CHUNK_SIZE, trim_step=CHUNK_SIZE)
    view = MessageList(RowCache(), head=load_older_button())
    went_through: list[int] = []  # messages for which the whole list was worked out
    whole = view._list_controls

    def through(has_older: bool) -> list[ft.Control]:
        went_through.append(view.ids()[-1] if view.ids() else 0)
        return whole(has_older)

    monkeypatch.setattr(view, "_list_controls", through)
    window.reset([msg(i) for i in range(1, 2 * CHUNK_SIZE - 3)], has_older=False)
    view.show(window.messages, has_older=window.has_older)
    chunk_starts = 0
    for i in range(2 * CHUNK_SIZE - 3, 9 * CHUNK_SIZE):
        if i == 3 * CHUNK_SIZE + 4:  # "New messages" above a live message still to come
            view.mark_unread_from(i + 3)
        if i % 7 == 0:
            view.prepare_spare()
        chunks_before = list(view.list_view.controls)
        window.add_live(msg(i))
        updates = view.show(window.messages, has_older=window.has_older)
        held = view.list_view.controls
        assert [id(c) for c in held] == [id(c) for c in whole(window.has_older)]
        assert view.ids() == [m.id for m in window.messages]
        new = [c for c in held if all(c is not b for b in chunks_before)]
        if new and all(c is h for c, h in zip(chunks_before, held, strict=False)):
            chunk_starts += 1  # grew at the end: one splice adding exactly the new chunks
            (splice,) = [u for u in updates if isinstance(u, ListSpliced)]
            assert splice.removed == ()
            assert [index for index, _ in splice.added] == [held.index(c) for c in new]
            if i != 3 * CHUNK_SIZE + 7:  # (the divider's message goes the whole way)
                assert i not in went_through  # without working the whole list out
    assert chunk_starts >= 3
    assert 3 * CHUNK_SIZE + 7 in went_through


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["live", "live", "live", "late", "edit", "older", "reset", "skip"]),
            st.integers(min_value=1, max_value=40),
        ),
        max_size=60,
    )
)
def test_the_windows_shape_tells_what_changed_as_comparing_every_id_does(
    steps: list[tuple[str, int]],
) -> None:
    """A list told the window's `reshapes` works out what changed from the ends of the list
    when only appends and the oldest falling off happened; whatever the window did (late
    messages, edits, older pages, resets, several changes between two shows) it then holds
    what a list comparing every id holds."""
    from dataclasses import replace as replaced

    from flet_chat.ui.message_window import MessageWindow

    window = MessageWindow(3 * CHUNK_SIZE, trim_step=CHUNK_SIZE)
    rows = RowCache()
    told = MessageList(rows, head=load_older_button())
    compared = MessageList(rows, head=load_older_button())
    newest = 100
    window.reset([msg(i) for i in range(60, 100, 2)], has_older=True)
    for kind, n in steps:
        if kind == "live":
            for _ in range(n % 7 + 1):
                newest += 1
                window.add_live(msg(newest))
        elif kind == "late":
            window.add_live(msg(newest - n))  # a gap filled in, or a repeat
        elif kind == "edit" and window.messages:
            shown = window.messages[n % len(window.messages)]
            window.replace(replaced(shown, text="edited", revision=shown.revision + 1))
        elif kind == "older":
            window.prepend_older([msg(i) for i in range(20 - n % 20, 40)], has_older=True)
        elif kind == "reset":
            window.reset([msg(i) for i in range(newest - n, newest + 1)], has_older=True)
        if kind == "skip":
            continue  # the next show takes two changes at once
        told.show(window.messages, has_older=window.has_older, shape=window.reshapes)
        compared.show(window.messages, has_older=window.has_older)
        assert told.ids() == [m.id for m in window.messages]
        assert told.entries() == compared.entries()


def test_appends_are_worked_out_without_comparing_every_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flet_chat.ui.message_window import MessageWindow
    from flet_chat.ui.views import message_list

    compared: list[int] = []
    every_id = message_list._message_ids
    monkeypatch.setattr(
        message_list, "_message_ids", lambda ms: compared.append(len(ms)) or every_id(ms)
    )
    window = MessageWindow(2 * CHUNK_SIZE, trim_step=CHUNK_SIZE)
    view = MessageList(RowCache(), head=load_older_button())
    window.reset([msg(i) for i in range(1, 10)], has_older=False)
    view.show(window.messages, has_older=window.has_older, shape=window.reshapes)
    assert compared == [9]  # the first show compares
    for i in range(10, 4 * CHUNK_SIZE):  # appends, and the oldest falling off at the cap
        window.add_live(msg(2 * i))
        view.show(window.messages, has_older=window.has_older, shape=window.reshapes)
    assert compared == [9]
    assert view.ids() == [m.id for m in window.messages]
    assert window.add_live(msg(8 * CHUNK_SIZE - 3))  # late, between the last two: re-sorted
    view.show(window.messages, has_older=window.has_older, shape=window.reshapes)
    assert len(compared) == 2
    assert view.ids() == [m.id for m in window.messages]
    # The same first and last ids and as many, another in between: only the shape tells.
    now = [m.id for m in window.messages]
    window.reset([msg(now[0]), msg(now[1] + 1), *map(msg, now[2:])], has_older=True)
    view.show(window.messages, has_older=window.has_older, shape=window.reshapes)
    assert len(compared) == 3
    assert view.ids() == [now[0], now[1] + 1, *now[2:]]
