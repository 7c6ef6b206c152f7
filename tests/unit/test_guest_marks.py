"""Guests in the member list: each name's account is looked up once per process (not per
session, not per render), the list swaps in a row with the mark once it is known, and a guest
who chose a password here loses the mark at once."""

from __future__ import annotations

import asyncio

from flet_chat.live.guest_marks import RETRY_SECONDS, GuestMarks
from flet_chat.ui.views.member_list import GUEST_MARK, MemberList, MemberRowCache
from tests.support.waiting import wait_until


class Accounts:
    def __init__(self, guests: set[str]) -> None:
        self.guests = guests
        self.asked: list[str] = []
        self.away = False

    async def is_guest(self, name: str) -> bool | None:
        self.asked.append(name)
        if self.away:
            raise ConnectionError("database unreachable")
        return name in self.guests


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def texts(members: MemberList) -> list[str]:
    """Each row's texts, joined: "Bob guest" for a guest."""
    rows = members.list_view.controls
    return [" ".join(str(t.value) for t in row.content.controls[1:]) for row in rows]  # type: ignore[attr-defined]


async def test_a_guest_is_marked_after_one_lookup_shared_by_every_session() -> None:
    accounts = Accounts({"Bob"})
    marks = GuestMarks(accounts.is_guest)
    told: list[str] = []
    marks.subscribe(lambda: told.append("changed"))
    rows = MemberRowCache(marks=marks)
    sessions = [MemberList(rows) for _ in range(3)]
    for members in sessions:
        members.show(["Alice", "Bob"])
    assert texts(sessions[0]) == ["Alice", "Bob"]  # not known yet: no mark
    await wait_until(lambda: told, timeout=5)
    assert sorted(accounts.asked) == ["Alice", "Bob"]  # once each, for three sessions
    for members in sessions:
        assert members.show(["Alice", "Bob"]).controls == [members.list_view]
        assert texts(members) == ["Alice", f"Bob {GUEST_MARK}"]
        assert [row.key for row in members.list_view.controls] == ["member-Alice", "guest-Bob"]
    # The same row object for every session: rows are shared, never changed.
    assert sessions[0].list_view.controls[1] is sessions[2].list_view.controls[1]
    for members in sessions:
        assert members.show(["Alice", "Bob"]).controls == []  # nothing new: nothing to send
    assert sorted(accounts.asked) == ["Alice", "Bob"]
    assert told == ["changed"]


async def test_a_guest_who_chose_a_password_here_loses_the_mark_at_once() -> None:
    accounts = Accounts({"Bob"})
    marks = GuestMarks(accounts.is_guest)
    told = asyncio.Event()
    marks.subscribe(told.set)
    members = MemberList(MemberRowCache(marks=marks))
    members.show(["Bob"])
    await asyncio.wait_for(told.wait(), timeout=5)
    members.show(["Bob"])
    assert texts(members) == [f"Bob {GUEST_MARK}"]
    told.clear()
    marks.set("Bob", guest=False)
    await asyncio.wait_for(told.wait(), timeout=5)
    members.show(["Bob"])
    assert texts(members) == ["Bob"]
    assert accounts.asked == ["Bob"]


async def test_marks_are_looked_up_again_after_a_while_and_a_failure_is_not_retried_at_once() -> (
    None
):
    accounts = Accounts({"Bob"})
    clock = Clock()
    marks = GuestMarks(accounts.is_guest, ttl=600, clock=clock)
    accounts.away = True
    assert not marks.is_guest("Bob")
    await wait_until(lambda: accounts.asked == ["Bob"], timeout=5)
    await wait_until(lambda: not marks.looking_up, timeout=5)
    assert not marks.is_guest("Bob")  # the store is away: no lookup on every render
    assert accounts.asked == ["Bob"]
    accounts.away = False
    clock.now += RETRY_SECONDS + 1
    marks.is_guest("Bob")
    await wait_until(lambda: marks.is_guest("Bob"), timeout=5)
    assert accounts.asked == ["Bob", "Bob"]
    accounts.guests.clear()  # Bob chose a password on another process
    clock.now += 601
    assert marks.is_guest("Bob")  # the old mark until the new lookup is in
    await wait_until(lambda: not marks.is_guest("Bob"), timeout=5)
    assert accounts.asked == ["Bob", "Bob", "Bob"]


async def test_a_name_this_process_signed_in_is_never_asked_of_the_store() -> None:
    # A joining user's name is wanted by every member list at once; the session that signed
    # them in sets the mark (`set`), which the lookup then finds and skips.
    accounts = Accounts({"Carol"})
    marks = GuestMarks(accounts.is_guest)
    assert not marks.is_guest("Carol")  # wanted: the lookup task is queued, not run yet
    marks.set("Carol", guest=True)
    assert marks.is_guest("Dave") is False  # something else to look up, after Carol
    await wait_until(lambda: accounts.asked == ["Dave"], timeout=5)
    await wait_until(lambda: not marks.looking_up, timeout=5)
    assert marks.is_guest("Carol")
    assert accounts.asked == ["Dave"]


async def test_a_guest_set_here_before_any_lookup_changes_the_version_and_tells_nobody() -> None:
    # Lists may have drawn Carol as a member while her mark was unknown: rows drawn from now on
    # (MemberRowCache.rows keys on the version) show the mark, and her arrival redraws the
    # lists; telling every session at every arrival is what a crowd cannot afford.
    marks = GuestMarks(Accounts(set()).is_guest)
    told: list[None] = []
    marks.subscribe(lambda: told.append(None))
    assert not marks.is_guest("Carol")
    version = marks.version
    marks.set("Carol", guest=True)
    assert marks.version > version
    version = marks.version
    marks.set("Dan", guest=False)  # a member, drawn as one already: nothing changes
    assert marks.version == version
    marks.set("Carol", guest=False)  # she chose a password: lists showing her mark redraw
    assert marks.version > version
    await wait_until(lambda: told, timeout=5)
    assert len(told) == 1
