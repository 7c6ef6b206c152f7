"""The typing indicator's rules and the member list's cap, without a server."""

from __future__ import annotations

from flet_chat.core.throttle import Throttle
from flet_chat.live.typing_tracker import TypingTracker
from flet_chat.ui.views.member_list import MemberList, MemberRowCache
from flet_chat.ui.views.typing_indicator import TypingIndicator, typing_text


def test_typing_text() -> None:
    assert typing_text([]) == ""
    assert typing_text(["Alice"]) == "Alice is typing..."
    assert typing_text(["Alice", "Bob"]) == "Alice and Bob are typing..."
    assert typing_text(["Alice", "Bob", "Carol"]) == "Several people are typing..."


def test_a_typist_is_shown_until_five_seconds_after_their_last_event() -> None:
    tracker = TypingTracker(shown=5.0)
    tracker.typed("bob", now=0.0)
    tracker.typed("Alice", now=1.0)
    tracker.typed("Me", now=1.0)
    assert tracker.names(me="Me") == ["Alice", "bob"]  # sorted, never yourself
    assert tracker.next_expiry() == 5.0
    tracker.typed("bob", now=4.0)  # still typing: shown for longer
    tracker.expire(now=6.5)
    assert tracker.names(me="Me") == ["bob"]
    assert tracker.stopped("bob")  # their message arrived
    assert not tracker.stopped("bob")
    assert tracker.names(me=None) == []
    tracker.expire(now=100.0)
    assert tracker.next_expiry() is None


def test_the_indicator_updates_only_when_its_text_changes() -> None:
    indicator = TypingIndicator()
    assert indicator.show(["Alice"]) == [indicator.text]
    assert indicator.show(["Alice"]) == []
    assert indicator.text.value == "Alice is typing..."
    assert indicator.show([]) == [indicator.text]
    assert indicator.text.value == ""


def test_the_member_list_is_capped_and_shares_rows() -> None:
    rows = MemberRowCache()
    a, b = MemberList(rows, cap=3), MemberList(rows, cap=3)
    users = [f"user{i:04}" for i in range(815)]
    sent = a.show(users).controls
    assert [id(c) for c in sent] == [id(a.list_view), id(a.title), id(a.more)]
    assert a.show(users).controls == []  # nothing changed: nothing to send
    assert [str(row.key) for row in a.list_view.controls] == [
        "member-user0000",
        "member-user0001",
        "member-user0002",
    ]
    assert a.more.value == "and 812 more"
    assert a.title.value == "Online (815)"
    b.show(users)
    assert all(x is y for x, y in zip(a.list_view.controls, b.list_view.controls, strict=True))
    rows_before = a.list_view.controls
    # Someone past the cap left: the count changes, the rows do not, and only the texts are sent
    # (an update of the list would walk every row in it).
    sent = a.show(users[:-1]).controls
    assert [id(c) for c in sent] == [id(a.title), id(a.more)]
    assert a.list_view.controls is rows_before
    assert a.more.value == "and 811 more"
    sent = a.show(users[:2]).controls
    assert id(sent[0]) == id(a.list_view)  # the rows changed: the list goes out
    assert a.more.value == ""


def test_throttle_allows_one_per_interval_per_key() -> None:
    now = [0.0]
    throttle = Throttle(2.0, clock=lambda: now[0], max_keys=2)
    assert throttle.allow("a")
    assert not throttle.allow("a")
    assert throttle.allow("b")
    now[0] = 1.9
    assert not throttle.allow("a")
    now[0] = 2.0
    assert throttle.allow("a")
    now[0] = 3.0
    assert throttle.allow("c")  # over max_keys: forgets "b" (allowed 3 s ago), not "a"
    assert not throttle.allow("a")
