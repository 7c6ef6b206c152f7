"""The member list's ready-made patches, applied by a headless client's mirror of the page: after
any sequence of arrivals, departures and guest marks, each session's client shows the right
names, count and "and N more", and sessions seeing the same change share one encoded patch."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import msgpack
import pytest

from flet_chat.flet_compat import LeakSafeFletApp, install_walk_once, pack_control
from flet_chat.testing.flet_client import PATCH, FletClient, decode
from flet_chat.ui import keys
from flet_chat.ui.controls import shared_row
from flet_chat.ui.member_updates import MemberPatches, rows_sent_after, send_members
from flet_chat.ui.views.member_list import MemberList, MemberRowCache, more_text

CAP = 4
NAMES = [f"user{i:02}" for i in range(12)]


class Wire(LeakSafeFletApp):
    """A session's socket that keeps what is sent (made without Flet's init: nothing to serve)."""

    frames: list[bytes]

    def send_frame(self, frame: bytes) -> None:
        self.frames.append(frame)


class Marks:
    def __init__(self) -> None:
        self.version = 0
        self.guests: set[str] = set()

    def is_guest(self, name: str) -> bool:
        return name in self.guests


class Session:
    """One session's member list, its socket, and its client's mirror of what it was sent."""

    def __init__(
        self, rows: MemberRowCache, users: list[str], *, rows_after: bool = False, ours: bool = True
    ) -> None:
        self.members = MemberList(rows, cap=CAP)
        self.members.show(users)  # drawn before the page is sent, as PresenceSession.start does
        self.wire = Wire.__new__(Wire)
        self.wire.frames = []
        # Not ours: a connection that takes no ready-made frames (a desktop window's).
        connection = self.wire if ours else object()
        self.page: Any = SimpleNamespace(session=SimpleNamespace(connection=connection))
        self.client = FletClient("ws://unused")
        # The first page as Flet's diff sends it (it also records the snapshots Flet keeps);
        # with `rows_after`, as SessionController.start sends it: the rows follow ready-made.
        with rows_sent_after(self.page if rows_after else None, self.members):
            first = pack_control(self.members.panel)
        self.client.page = msgpack.unpackb(first, strict_map_key=False)
        self.client._index(self.client.page)
        self.first_rows_in_page = len(self.client.get(keys.MEMBER_LIST).get("controls", []))
        self.receive()

    def show(self, users: list[str], patches: MemberPatches) -> None:
        send_members(self.page, self.members, self.members.show(users), patches)
        self.receive()

    def receive(self) -> None:
        for frame in self.wire.frames:
            action, body = decode(frame)
            assert action == PATCH
            self.client._apply(body["id"], body["patch"])
        self.wire.frames.clear()

    def seen(self) -> tuple[list[str], list[str], list[str]]:
        """The member names, row keys and the panel's texts other than the rows'."""
        rows = self.client.get(keys.MEMBER_LIST)
        row_keys = [str(row["key"]) for row in rows["controls"]]
        panel = self.client.get(keys.MEMBER_PANEL)
        texts = [t for t in self.client.texts(panel) if t not in self.client.texts(rows)]
        return self.client.members(), row_keys, texts


def expected(users: list[str], marks: Marks) -> tuple[list[str], list[str], list[str]]:
    shown = users[:CAP]
    row_keys = [keys.member_row(name, 0, guest=marks.is_guest(name)) for name in shown]
    more = more_text(len(users) - len(shown))
    return shown, row_keys, [f"Online ({len(users)})", *([more] if more else [])]


@pytest.mark.parametrize("rows_after", [False, True], ids=["flet-first-send", "rows-after"])
def test_every_client_sees_the_right_names_and_counts_after_any_changes(rows_after: bool) -> None:
    install_walk_once()  # as the app runs: rows are walked once per process
    chance = random.Random(18)
    marks = Marks()
    rows, patches = MemberRowCache(marks=marks), MemberPatches()
    users = sorted(NAMES[:3])
    early, late = Session(rows, users, rows_after=rows_after), None
    # Opened before anyone was online (as after a restart): its client's list starts empty.
    first = Session(rows, [], rows_after=rows_after)
    for step in range(300):
        if chance.random() < 0.2:  # someone turned out to be a guest, or chose a password
            marks.guests ^= {chance.choice(NAMES)}
            marks.version += 1
        else:  # arrivals and departures, never everyone (an empty list goes through Flet)
            picked = set(users) ^ {chance.choice(NAMES), chance.choice(NAMES)}
            users = sorted(picked) or users
        if step == 100:
            late = Session(rows, users, rows_after=rows_after)  # joined in the middle
        for session in (early, late, first):
            if session is not None:
                session.show(users, patches)
                assert session.seen() == expected(users, marks), f"step {step}"


def test_sessions_seeing_one_change_share_its_encoded_patch() -> None:
    install_walk_once()
    rows, patches = MemberRowCache(), MemberPatches()
    users = ["ann", "bob", "cy"]
    sessions = [Session(rows, users) for _ in range(20)]
    for arrival in ("al", "dan", "bea", "eve"):
        users = sorted([*users, arrival])
        for session in sessions:
            session.show(users, patches)
    assert patches.built == 4  # one per change, not one per session
    # The rows' changes, each worked out once for all 20: the first list, "al" and "bea" (the
    # others arrive past the 4 shown).
    assert rows.moves_worked_out == 3
    assert all(s.seen() == sessions[0].seen() for s in sessions)
    shown = ["al", "ann", "bea", "bob"]
    row_keys = [keys.member_row(name, 0) for name in shown]
    assert sessions[0].seen() == (shown, row_keys, ["Online (7)", "and 3 more"])


def test_sessions_in_other_rooms_get_their_own_counts() -> None:
    install_walk_once()
    rows, patches = MemberRowCache(), MemberPatches()
    small, large = Session(rows, ["ann", "cy"]), Session(rows, ["ann", "cy", "dan"])
    # The same row comes in at the same place in both lists; only the counts differ.
    small.show(["ann", "bob", "cy"], patches)
    large.show(["ann", "bob", "cy", "dan"], patches)
    assert small.seen()[::2] == (["ann", "bob", "cy"], ["Online (3)"])
    assert large.seen()[::2] == (["ann", "bob", "cy", "dan"], ["Online (4)"])


def test_the_first_send_leaves_the_rows_to_one_ready_made_replacement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_walk_once()
    encoded: list[object] = []

    def counting(control: Any) -> bytes:
        encoded.append(control)
        return pack_control(control)

    monkeypatch.setattr(shared_row, "pack_control", counting)  # what MemberRow.packed calls
    rows = MemberRowCache()
    users = ["ann", "bob", "cy", "dan", "eve"]
    sessions = [Session(rows, users, rows_after=True) for _ in range(3)]
    expected_now = (users[:CAP], [keys.member_row(n, 0) for n in users[:CAP]])
    for session in sessions:
        assert session.first_rows_in_page == 0  # the page went out without them
        assert session.seen() == (*expected_now, ["Online (5)", "and 1 more"])
        # Flet's next diff starts from the rows the client now holds: nothing to send again.
        list_view = session.members.list_view
        assert list_view.controls == [rows.row(n) for n in users[:CAP]]
        assert getattr(list_view, "__prev_lists")["controls"] == list_view.controls
    # Each row was encoded once for every session, not once per session.
    assert encoded == [rows.row(name) for name in users[:CAP]]


@pytest.mark.parametrize("ours", [False, True], ids=["not-ours", "no-first-send-wrapper"])
def test_a_page_without_ready_made_patches_gets_the_rows_in_its_first_send(ours: bool) -> None:
    install_walk_once()
    # Not ours: asked to send the rows after, it leaves them in the first send.
    session = Session(MemberRowCache(), ["ann", "bob"], rows_after=not ours, ours=ours)
    assert session.first_rows_in_page == 2
    assert session.seen()[0] == ["ann", "bob"]
    assert session.wire.frames == []
