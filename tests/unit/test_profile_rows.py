"""Profiles in shared rows: a person's picture and display name beside (never instead of) their
@name, rows drawn anew under a new key when the profile changed, and only people's own words
showing a profile."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import flet as ft
import msgpack

from flet_chat.bus.fanout import Fanout
from flet_chat.core.accounts.models import Profile
from flet_chat.core.models import AuthorKind, Message, MessageKind, Room, RoomKind, RoomState
from flet_chat.core.rooms import direct_key, user_key
from flet_chat.flet_compat import install_walk_once, pack_control
from flet_chat.live.profile_cache import NO_PROFILE, profile_stamp
from flet_chat.testing.flet_client import FletClient
from flet_chat.ui import keys
from flet_chat.ui.controls.chat_message import message_row
from flet_chat.ui.rooms_session import RoomsSession
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.views.member_list import GUEST_MARK, MemberList, MemberRowCache
from flet_chat.ui.views.message_list import CHUNK_SIZE, MessageList
from flet_chat.ui.views.room_list import RoomList
from tests.unit.session_fakes import nothing, open_nothing
from tests.unit.test_member_patches import Marks

READER = FletClient("ws://unused")  # only its tree helpers: what a client would show
ANN = Profile("Ann Lee", "on call", 3)


def msg(i: int, user: str = "ann", **changes: Any) -> Message:
    base = Message(i, MessageKind.CHAT, user, f"m{i}", datetime(2026, 1, 1, tzinfo=UTC))
    return replace(base, **changes)


def shown(row: ft.Control) -> dict[str, Any]:
    install_walk_once()
    return dict(msgpack.unpackb(pack_control(row), strict_map_key=False))


def avatar_of(tree: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in READER.walk(tree) if c.get("_c") == "CircleAvatar")


class Profiles:
    """Stands in for ProfileCache.shown: profiles by user key, and who asked."""

    def __init__(self, **profiles: Profile) -> None:
        self.profiles = dict(profiles)
        self.asked: list[str] = []

    def __call__(self, user_name: str) -> tuple[Profile, int]:
        self.asked.append(user_name)
        profile = self.profiles.get(user_key(user_name), NO_PROFILE)
        return profile, profile_stamp(profile)


def test_a_row_shows_the_display_name_beside_the_name_and_the_picture() -> None:
    stamp = profile_stamp(ANN)
    tree = shown(message_row(msg(7), ANN, stamp))
    assert READER.texts(tree) == ["A", "Ann Lee", "@ann", "00:00 UTC", "m7"]
    assert avatar_of(tree)["foreground_image_src"] == "/avatars/ann?v=3"
    assert tree["key"] == f"msg-7-p{stamp}"


def test_without_a_profile_a_row_is_as_it_always_was() -> None:
    plain = shown(message_row(msg(7)))
    assert READER.texts(plain) == ["A", "ann", "00:00 UTC", "m7"]
    assert "foreground_image_src" not in avatar_of(plain)
    assert plain["key"] == "msg-7"
    # A picture alone: the name stays as it was, the initials give way to the picture.
    pictured = shown(message_row(msg(7), Profile(None, None, 1), 5))
    assert READER.texts(pictured) == ["A", "ann", "00:00 UTC", "m7"]
    assert avatar_of(pictured)["foreground_image_src"] == "/avatars/ann?v=1"
    # A display name that is the name itself is not said twice.
    same = shown(message_row(msg(7), Profile("ann", None, 0), 6))
    assert READER.texts(same) == ["A", "ann", "00:00 UTC", "m7"]


def test_an_impostor_display_name_still_shows_whose_message_it_is() -> None:
    tree = shown(message_row(msg(7, user="mallory"), Profile("ann", None, 0), 9))
    assert READER.texts(tree)[:3] == ["M", "ann", "@mallory"]


def test_only_a_persons_own_words_show_a_profile() -> None:
    profiles = Profiles(ann=ANN)
    rows = RowCache(profiles=profiles)
    bot = msg(1, author_kind=AuthorKind.BOT)  # a bot or an integration may use anyone's name
    hook = msg(2, author_kind=AuthorKind.INTEGRATION)
    notice = msg(3, kind=MessageKind.JOIN, text="ann has joined the chat.")
    for message in (bot, hook, notice):
        tree = shown(rows.row(message))
        assert "Ann Lee" not in READER.texts(tree)
        assert tree["key"] == f"msg-{message.id}"
    assert profiles.asked == []
    assert "Ann Lee" in READER.texts(shown(rows.row(msg(4))))


def test_a_row_is_drawn_anew_under_a_new_key_once_its_profile_changed() -> None:
    profiles = Profiles()
    rows = RowCache(profiles=profiles)
    message = msg(1)
    plain = rows.row(message)
    plain_packed = rows.packed(message)
    assert rows.row(message) is plain  # shared while nothing changed
    profiles.profiles["ann"] = ANN
    fresh = rows.row(message)
    assert fresh is not plain
    assert fresh.key == keys.message_row(1, 0, profile_stamp(ANN))
    assert fresh.key != plain.key  # Flet replaces the row instead of reconciling one into it
    packed = rows.packed(message)
    assert packed != plain_packed  # the encoded row follows the row
    assert "Ann Lee" in READER.texts(msgpack.unpackb(packed, strict_map_key=False))
    assert rows.row(message) is fresh


def test_an_authors_rows_are_replaced_in_their_chunks() -> None:
    """What the author's own sessions do when their profile changed (the controller)."""
    profiles = Profiles()
    rows = RowCache(profiles=profiles)
    view = MessageList(rows, head=ft.TextButton(content="older"))
    # With the day's separator first, 19 messages fill two chunks.
    history = [msg(i, user="ann" if i % 3 == 0 else "bob") for i in range(1, 2 * CHUNK_SIZE)]
    view.show(history, has_older=False)
    before = [row.key for chunk in view.list_view.controls for row in chunk.controls]  # type: ignore[attr-defined]
    profiles.profiles["ann"] = ANN
    updates = view.replace([m for m in history if m.user_name == "ann"])
    assert updates == list(view.list_view.controls)  # both chunks hold one of Ann's rows
    after = [row.key for chunk in view.list_view.controls for row in chunk.controls]  # type: ignore[attr-defined]
    changed = [b for b, a in zip(before, after, strict=True) if a != b]
    assert changed == [keys.message_row(m.id, 0) for m in history if m.user_name == "ann"]


def test_member_rows_show_the_profile_and_change_key_with_it() -> None:
    assert keys.member_of(keys.member_row("anne-marie")) == "anne-marie"
    assert keys.member_of(keys.member_row("anne-marie", 42)) == "anne-marie"
    assert keys.member_of("msg-1") is None
    profiles = Profiles(ann=ANN)
    cache = MemberRowCache(profiles=profiles)
    tree = shown(cache.row("ann"))
    assert tree["key"] == keys.member_row("ann", profile_stamp(ANN))
    assert READER.texts(tree) == ["A", "Ann Lee", "@ann", "on call"]
    assert READER.texts(shown(cache.row("bob"))) == ["B", "bob"]


def test_the_member_list_redraws_for_a_profile_it_shows_only() -> None:
    profiles = Profiles()
    rows = MemberRowCache(profiles=profiles)
    members = MemberList(rows, cap=2)
    users = ["ann", "bob", "cy"]
    members.show(users)
    assert members.show(users).controls == []
    before = list(members.list_view.controls)
    profiles.profiles["cy"] = ANN  # past the cap: not shown here
    assert not members.profiles_changed(frozenset({"cy"}))
    assert members.show(users).controls == []
    profiles.profiles["bob"] = Profile("Robert", None, 0)
    assert members.profiles_changed(frozenset({"bob"}))
    assert members.show(users).controls == [members.list_view]
    assert members.list_view.controls[0] is before[0]
    assert members.list_view.controls[1] is not before[1]
    assert "Robert" in READER.texts(shown(members.list_view.controls[1]))
    assert members.show(users).controls == []  # once


class FakeRoomService:
    """The reads RoomsSession makes: Ann is in #general and talks with Bob and Cy."""

    def __init__(self) -> None:
        self.direct = [
            Room(direct_key("ann", other), RoomKind.DIRECT, members=("ann", other))
            for other in ("Bob", "Cy")
        ]

    async def rooms_of(self, user_name: str) -> list[RoomState]:
        return [RoomState(room, unread=0, mentioned=False) for room in self.direct]

    async def public_rooms(self) -> list[Room]:
        return []


class CountingProfiles(Profiles):
    """Profiles.shown plus ensure, counting the reads ahead of drawing."""

    def __init__(self, **profiles: Profile) -> None:
        super().__init__(**profiles)
        self.ensured: list[set[str]] = []

    def shown(self, user_name: str) -> tuple[Profile, int]:
        return self(user_name)

    async def ensure(self, user_names: Iterable[str]) -> None:
        self.ensured.append(set(user_names))


async def test_direct_conversations_show_their_persons_profile() -> None:
    profiles = CountingProfiles(bob=Profile("Robert", None, 2))
    rooms = RoomsSession(
        FakeRoomService(),  # type: ignore[arg-type]
        Fanout(),
        object(),
        lambda _topic, _event: None,
        profiles,
    )
    await rooms.load("ann")
    assert profiles.ensured == [{"Bob", "Cy"}]  # read together, before the list is drawn
    direct = [e for e in rooms.entries() if e.person is not None]
    assert [(e.title, e.person, e.profile) for e in direct] == [
        ("@Bob", "Bob", Profile("Robert", None, 2)),
        ("@Cy", "Cy", NO_PROFILE),
    ]
    assert rooms.talks_with_any(frozenset({"bob"}))
    assert not rooms.talks_with_any(frozenset({"dan", "ann"}))
    room_list = RoomList(on_open=open_nothing, on_join=open_nothing, on_new_room=nothing)
    room_list.show(rooms.entries(), "general", [])
    bob_entry = shown(room_list.entries.controls[1])
    assert sorted(READER.texts(bob_entry)) == ["@Bob", "B", "Robert"]  # the @name stays in sight
    assert avatar_of(bob_entry)["foreground_image_src"] == "/avatars/Bob?v=2"
    assert sorted(READER.texts(shown(room_list.entries.controls[2]))) == ["@Cy", "C"]
    # A new profile changes the entry, so the list is sent again.
    profiles.profiles["cy"] = Profile("Cyrus", None, 0)
    assert room_list.show(rooms.entries(), "general", []) == [room_list.panel]


class VersionedProfiles(Profiles):
    """Profiles with ProfileCache's version: it goes up with each change made here."""

    def __init__(self, **profiles: Profile) -> None:
        super().__init__(**profiles)
        self.version = 0

    def change(self, name: str, profile: Profile) -> None:
        self.profiles[name] = profile
        self.version += 1


def test_sessions_showing_the_same_members_share_one_look_up_of_their_rows() -> None:
    profiles = VersionedProfiles(ann=ANN)
    rows = MemberRowCache(profiles=profiles)
    rows.profiles_version = lambda: profiles.version
    first, second = MemberList(rows), MemberList(rows)
    users = ["ann", "bob", "cy"]
    first.show(users)
    asked = len(profiles.asked)
    assert asked == 3
    second.show(users)
    assert len(profiles.asked) == asked  # the second session asked nobody
    assert second.list_view.controls == first.list_view.controls
    assert second.list_view.controls is not first.list_view.controls  # a list of its own

    # A profile changed: the next session to draw the list asks again and shows it.
    profiles.change("bob", Profile("Robert", None, 0))
    assert second.profiles_changed(frozenset({"bob"}))
    second.show(users)
    assert len(profiles.asked) == asked + 3
    assert "Robert" in READER.texts(shown(second.list_view.controls[1]))
    assert first.profiles_changed(frozenset({"bob"}))
    first.show(users)
    assert len(profiles.asked) == asked + 3
    assert first.list_view.controls == second.list_view.controls

    # Other names, or the same names with roles, are other rows.
    third = MemberList(rows)
    third.show(users, {"ann": "owner"})
    assert third.list_view.controls[0] is not first.list_view.controls[0]
    assert third.list_view.controls[1:] == first.list_view.controls[1:]
    fourth = MemberList(rows)
    fourth.show(["ann", "cy"])
    assert fourth.list_view.controls == [first.list_view.controls[0], first.list_view.controls[2]]
    # Sessions in two rooms asking in turn each find their room's list.
    asked = len(profiles.asked)
    MemberList(rows).show(users)
    MemberList(rows).show(["ann", "cy"])
    assert len(profiles.asked) == asked


def test_a_guest_mark_found_gives_the_next_session_the_marked_row() -> None:
    profiles, marks = VersionedProfiles(), Marks()
    rows = MemberRowCache(profiles=profiles, marks=marks)
    rows.profiles_version = lambda: profiles.version
    first = MemberList(rows)
    first.show(["ann", "bob"])
    marks.guests.add("bob")
    marks.version += 1
    later = MemberList(rows)
    later.show(["ann", "bob"])
    assert later.list_view.controls[0] is first.list_view.controls[0]
    assert later.list_view.controls[1] is not first.list_view.controls[1]
    assert GUEST_MARK in READER.texts(shown(later.list_view.controls[1]))


def test_without_a_version_every_list_asks_for_every_name() -> None:
    profiles = Profiles(ann=ANN)
    rows = MemberRowCache(profiles=profiles)
    MemberList(rows).show(["ann", "bob"])
    MemberList(rows).show(["ann", "bob"])
    assert profiles.asked == ["ann", "bob", "ann", "bob"]
