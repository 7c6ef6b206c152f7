from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from flet_chat.core.models import Message, MessageKind
from flet_chat.ui.message_window import MessageWindow


def msg(i: int) -> Message:
    return Message(i, MessageKind.CHAT, "u", f"m{i}", datetime(2026, 1, 1, tzinfo=UTC))


def ids(window: MessageWindow) -> list[int]:
    return [m.id for m in window.messages]


def test_live_messages_are_appended_once_and_oldest_fall_off() -> None:
    window = MessageWindow(capacity=5)
    window.reset([msg(i) for i in range(1, 4)], has_older=False)
    assert window.add_live(msg(4))
    assert not window.add_live(msg(4))  # a replay of the same id is ignored
    for i in range(5, 9):
        window.add_live(msg(i))
    assert ids(window) == [4, 5, 6, 7, 8]
    assert window.has_older


def test_late_delivery_is_placed_in_id_order() -> None:
    window = MessageWindow(capacity=10)
    window.reset([msg(1), msg(3)], has_older=False)
    window.add_live(msg(2))
    assert ids(window) == [1, 2, 3]


def test_paging_back_past_the_cap_leaves_the_live_edge() -> None:
    window = MessageWindow(capacity=4)
    window.reset([msg(5), msg(6), msg(7)], has_older=True)
    window.prepend_older([msg(3), msg(4)], has_older=True)
    assert ids(window) == [3, 4, 5, 6]
    assert not window.at_live_edge
    assert not window.add_live(msg(8))  # reading history: live rows do not push it away
    window.reset([msg(6), msg(7), msg(8)], has_older=True)
    assert window.at_live_edge
    assert ids(window) == [6, 7, 8]


def test_at_the_cap_the_oldest_fall_off_a_step_at_a_time() -> None:
    window = MessageWindow(capacity=20, trim_step=10)
    window.reset([msg(i) for i in range(1, 21)], has_older=False)
    window.add_live(msg(21))
    assert ids(window) == list(range(11, 22))  # 10 dropped at once, never above the cap
    for i in range(22, 31):
        window.add_live(msg(i))
    assert ids(window) == list(range(11, 31))
    window.add_live(msg(31))
    assert ids(window) == list(range(21, 32))


def test_a_late_message_older_than_the_window_is_left_to_paging() -> None:
    window = MessageWindow(capacity=10)
    window.reset([msg(50), msg(51)], has_older=True)
    assert not window.add_live(msg(7))  # "Load older" will show it in its place
    assert ids(window) == [50, 51]


@given(
    st.lists(st.integers(min_value=1, max_value=500), max_size=300),
    st.sampled_from([1, 3, 10]),
)
def test_never_more_than_capacity_always_sorted_unique(incoming: list[int], step: int) -> None:
    window = MessageWindow(capacity=20, trim_step=step)
    window.reset([], has_older=False)
    for i in incoming:
        window.add_live(msg(i))
    assert len(window.messages) <= 20
    assert ids(window) == sorted(set(ids(window)))


@given(
    st.lists(st.integers(min_value=1, max_value=200), max_size=120),
    st.lists(st.integers(min_value=1, max_value=200), max_size=40),
    st.integers(min_value=1, max_value=200),
)
def test_what_it_finds_is_exactly_what_it_shows(
    live: list[int], older: list[int], asked: int
) -> None:
    """Found by id (get, replace, a repeat ignored) exactly while shown: through live
    messages, the oldest falling off, and an older page merged in past the cap."""
    window = MessageWindow(capacity=30, trim_step=10)
    window.reset([msg(i) for i in live[:20]], has_older=True)
    for i in live[20:]:
        window.add_live(msg(i))
    window.prepend_older([msg(i) for i in older], has_older=True)
    shown = ids(window)
    assert shown == sorted(set(shown))
    found = window.get(asked)
    assert (found is not None) == (asked in shown)
    assert found is None or found.id == asked
    edited = replace(msg(asked), text="edited", revision=msg(asked).revision + 1)
    assert window.replace(edited) == (asked in shown)
    assert ids(window) == shown
