"""Day separators and groups of one author's messages, as a viewer's list shows them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import flet as ft
from hypothesis import given, settings
from hypothesis import strategies as st

from flet_chat.core.models import AuthorKind, Message, MessageKind
from flet_chat.flet_compat import install_walk_once, pack_control
from flet_chat.testing.flet_client import FletClient
from flet_chat.ui import keys
from flet_chat.ui.clock import FALLBACK, Clock, clock_from_cookie
from flet_chat.ui.controls.chat_message import message_row
from flet_chat.ui.controls.load_older import load_older_button
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.timeline import (
    GROUP_GAP,
    Entry,
    GroupStart,
    MessageEntry,
    Separator,
    entries_after,
)
from flet_chat.ui.views.message_list import CHUNK_SIZE, MessageChunk, MessageList

import msgpack  # isort: skip

NEW_YORK = clock_from_cookie("America/New_York|h12")
START = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)  # 5 PM in New York
READER = FletClient("ws://unused")


def msg(
    i: int,
    user: str = "ann",
    minute: float = 0,
    kind: MessageKind = MessageKind.CHAT,
    author_kind: AuthorKind = AuthorKind.USER,
) -> Message:
    return Message(
        i, kind, user, f"m{i}", START + timedelta(minutes=minute), author_kind=author_kind
    )


def shape(entries: list[Any]) -> list[str]:
    """'|Today', 'ann 1', '+ 2' (2 continues the group above), 'head ann 3' (ann's line above 3,
    whose group started above the top of the list)."""
    out = []
    for e in entries:
        if isinstance(e, Separator):
            out.append(f"|{e.label}")
        elif isinstance(e, GroupStart):
            out.append(f"head {e.message.user_name} {e.message.id}")
        elif e.continued:
            out.append(f"+ {e.message.id}")
        else:
            out.append(f"{e.message.user_name} {e.message.id}")
    return out


TODAY = date(2026, 11, 27)  # in New York


def an_hour_later() -> datetime:
    return START + timedelta(hours=1)


def test_one_authors_messages_within_five_minutes_group_under_one_name() -> None:
    messages = [msg(1), msg(2, minute=1), msg(3, minute=5.5), msg(4, "bob", 6), msg(5, minute=7)]
    assert shape(entries_after(None, messages, NEW_YORK, TODAY)) == [
        "|Today",
        "ann 1",
        "+ 2",
        "+ 3",  # 4.5 minutes after the one before it
        "bob 4",
        "ann 5",
    ]


def test_a_gap_a_notice_an_action_or_another_kind_of_author_ends_a_group() -> None:
    messages = [
        msg(1),
        msg(2, minute=5 + 1 / 60),  # just over five minutes
        msg(3, minute=6, kind=MessageKind.JOIN),
        msg(4, minute=6),
        msg(5, minute=6, kind=MessageKind.ACTION),
        msg(6, minute=6),
        msg(7, minute=6, author_kind=AuthorKind.INTEGRATION),  # a webhook posting as "ann"
        msg(8, minute=6, author_kind=AuthorKind.INTEGRATION),
    ]
    assert shape(entries_after(None, messages, NEW_YORK, TODAY)) == [
        "|Today",
        "ann 1",
        "ann 2",
        "ann 3",
        "ann 4",
        "ann 5",
        "ann 6",
        "ann 7",
        "+ 8",
    ]
    assert timedelta(minutes=5) == GROUP_GAP


def test_midnight_in_the_viewers_zone_starts_a_day_and_a_group() -> None:
    # 04:58 and 05:01 UTC: either side of midnight in New York, the same day in UTC.
    late, early = START.replace(hour=4, minute=58) + timedelta(days=1), None
    early = late + timedelta(minutes=3)
    messages = [
        Message(1, MessageKind.CHAT, "ann", "night", late),
        Message(2, MessageKind.CHAT, "ann", "morning", early),
    ]
    today = date(2026, 11, 28)
    assert shape(entries_after(None, messages, NEW_YORK, today)) == [
        "|Yesterday",
        "ann 1",
        "|Today",
        "ann 2",
    ]
    assert shape(entries_after(None, messages, FALLBACK, today)) == ["|Today", "ann 1", "+ 2"]
    separator = entries_after(None, messages, NEW_YORK, today)[0]
    assert isinstance(separator, Separator)
    assert separator.accessible_label == "Yesterday, Friday 27 November 2026"


def rows_of(view: MessageList) -> list[Any]:
    chunks = [c for c in view.list_view.controls if isinstance(c, MessageChunk)]
    return [row for chunk in chunks for row in chunk.controls]


def test_a_continued_row_shows_text_and_time_on_hover_but_no_name() -> None:
    install_walk_once()
    row = message_row(msg(2, minute=1), clock=NEW_YORK, continued=True)
    tree = dict(msgpack.unpackb(pack_control(row), strict_map_key=False))
    assert tree["key"] == keys.message_row(2, 0, continued=True)
    assert READER.texts(tree) == ["m2"]
    tooltips = [c.get("tooltip") for c in READER.walk(tree) if c.get("tooltip")]
    assert "Friday 27 November 2026, 5:01:00 PM EST" in str(tooltips)
    # A screen reader still hears whose it is, in the viewer's time.
    assert row.label == "ann, 5:01 PM: m2"  # type: ignore[attr-defined]
    whole = message_row(msg(1), clock=NEW_YORK)
    assert READER.texts(dict(msgpack.unpackb(pack_control(whole), strict_map_key=False))) == [
        "A",
        "ann",
        "5:00 PM",
        "m1",
    ]


def test_the_first_row_shown_names_its_author_after_older_ones_fall_off() -> None:
    window = MessageWindow(2 * CHUNK_SIZE, trim_step=CHUNK_SIZE)
    view = MessageList(RowCache(), head=load_older_button(), clock=NEW_YORK, now=an_hour_later)
    messages = [msg(i, minute=i / 10) for i in range(1, 2 * CHUNK_SIZE + 1)]  # one long group
    window.reset(messages, has_older=False)
    view.show(window.messages, has_older=window.has_older)
    assert shape(view.entries())[:3] == ["|Today", "ann 1", "+ 2"]
    window.add_live(msg(100, minute=3))
    updates = view.show(window.messages, has_older=window.has_older)
    first = window.messages[0].id
    expected = ["|Today", f"head ann {first}", f"+ {first}", f"+ {first + 1}"]
    assert shape(view.entries())[:4] == expected
    author = view.list_view.controls[2]  # after "Load older" and the day
    assert author.key == keys.group_head(first)  # type: ignore[attr-defined]
    assert READER.texts(dict(msgpack.unpackb(pack_control(author), strict_map_key=False))) == [
        "A",
        "ann",
        f"5:{first // 10:02d} PM",  # message i was sent i/10 minutes past 5 PM
    ]
    # A whole chunk fell off; no chunk still shown is sent again for the new top.
    assert not any(isinstance(u, MessageChunk) for u in updates)


def test_viewers_in_one_zone_share_rows_and_other_zones_get_their_own() -> None:
    rows = RowCache()
    history = [msg(1), msg(2, minute=1), msg(3, "bob", 2)]
    lists = [
        MessageList(rows, head=load_older_button(), clock=clock, now=an_hour_later)
        for clock in (NEW_YORK, clock_from_cookie("America/New_York|h12"), FALLBACK)
    ]
    for view in lists:
        view.show(history, has_older=False)
    first, same_zone, utc = (rows_of(v) for v in lists)
    assert all(a is b for a, b in zip(first, same_zone, strict=True))
    assert not any(a is b for a, b in zip(first[1:], utc[1:], strict=True))


def test_the_separators_follow_the_day_turning() -> None:
    now = [datetime(2026, 11, 27, 23, 0, tzinfo=UTC)]  # 6 PM in New York
    view = MessageList(RowCache(), head=load_older_button(), clock=NEW_YORK, now=lambda: now[0])
    view.show([msg(1)], has_older=False)
    assert shape(view.entries()) == ["|Today", "ann 1"]
    now[0] += timedelta(hours=7)  # 1 AM in New York
    updates = view.show([msg(1)], has_older=False)
    assert shape(view.entries()) == ["|Yesterday", "ann 1"]
    assert updates == [view.list_view.controls[0]]  # the chunk holding the separator
    assert rows_of(view)[0].key.endswith("-Yesterday")


@st.composite
def conversations(draw: st.DrawFn) -> tuple[list[Message], list[int]]:
    """Messages by a few people, minutes to hours apart (across New York's midnights), and
    how many arrive before each render."""
    count = draw(st.integers(1, 60))
    at, messages = START, []
    for i in range(1, count + 1):
        at += timedelta(minutes=draw(st.sampled_from([0, 1, 4, 5, 6, 90, 600])))
        kind = draw(st.sampled_from([MessageKind.CHAT] * 4 + [MessageKind.JOIN]))
        user = draw(st.sampled_from(["ann", "bob"]))
        messages.append(Message(i, kind, user, f"m{i}", at))
    batches = draw(st.lists(st.integers(1, 7), min_size=1, max_size=count))
    return messages, batches


@settings(max_examples=60, deadline=None)
@given(conversations(), st.sampled_from([NEW_YORK, FALLBACK]))
def test_a_list_built_message_by_message_shows_what_a_rebuild_would(
    conversation: tuple[list[Message], list[int]], clock: Clock
) -> None:
    messages, batches = conversation
    now = messages[-1].created_at + timedelta(hours=1)
    rows = RowCache()
    window = MessageWindow(2 * CHUNK_SIZE, trim_step=CHUNK_SIZE)
    view = MessageList(rows, head=load_older_button(), clock=clock, now=lambda: now)
    window.reset(messages[:1], has_older=False)
    view.show(window.messages, has_older=False)
    arrived, step = 1, 0
    while arrived < len(messages):
        batch = batches[step % len(batches)]
        for message in messages[arrived : arrived + batch]:
            window.add_live(message)
        arrived, step = arrived + batch, step + 1
        view.show(window.messages, has_older=window.has_older)
        expected = list(entries_after(None, window.messages, clock, clock.today(now)))
        shown = view.entries()
        assert as_whole_rows(shown) == expected
        assert shown_rows(view) == [rows.row(e) for e in shown]
        chunks = [c for c in view.list_view.controls if isinstance(c, MessageChunk)]
        assert all(len(c.controls) <= 2 * CHUNK_SIZE for c in chunks)


def as_whole_rows(entries: list[Entry]) -> list[Entry]:
    """A group's line above a continued row reads as that row shown whole."""
    out: list[Entry] = []
    for entry in entries:
        if isinstance(entry, MessageEntry) and out and isinstance(out[-1], GroupStart):
            out[-1] = MessageEntry(entry.message, entry.clock)
        else:
            out.append(entry)
    return out


def shown_rows(view: MessageList) -> list[Any]:
    rows: list[Any] = []
    for control in view.list_view.controls:
        if isinstance(control, MessageChunk):
            rows += control.controls
        elif not isinstance(control, ft.TextButton):  # the head: "Load older messages"
            rows.append(control)
    return rows


def test_sessions_asking_the_same_get_the_same_entries_and_any_difference_a_fresh_answer() -> None:
    """Sessions of a room ask for the same live message's entries one after another: the last
    answer is given again, but only for the same message objects, an equal clock and day."""
    import dataclasses

    previous, live = msg(1), [msg(2, minute=1)]
    first = entries_after(previous, live, NEW_YORK, TODAY)
    assert (
        entries_after(previous, list(live), clock_from_cookie("America/New_York|h12"), TODAY)
        is first
    )
    assert shape(list(first)) == ["+ 2"]
    # An edited revision is another object: worked out again, from what it now says.
    edited = [dataclasses.replace(live[0], user_name="bob")]
    assert shape(list(entries_after(previous, edited, NEW_YORK, TODAY))) == ["bob 2"]
    # Another viewer's clock, then the first again: each gets its own.
    in_utc = entries_after(previous, live, FALLBACK, TODAY)
    assert all(e.clock == FALLBACK for e in in_utc)
    assert entries_after(previous, live, NEW_YORK, TODAY) == first
    # Another day: the separator's label follows it.
    day = entries_after(None, live, NEW_YORK, TODAY)
    assert shape(list(day)) == ["|Today", "ann 2"]
    assert shape(list(entries_after(None, live, NEW_YORK, TODAY + timedelta(days=1)))) == [
        "|Yesterday",
        "ann 2",
    ]
    # Another message before it: no longer a continued row.
    assert shape(list(entries_after(msg(0, "cy"), live, NEW_YORK, TODAY))) == ["ann 2"]
