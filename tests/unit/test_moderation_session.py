"""The Flet session's moderation parts on fakes: the room list's books as rooms are archived
and unarchived (ui/rooms_session.py), and the admin view (ui/session/admin.py): nobody but an
admin gets anything read, the audit log pages on from the last entry shown, and a slow read
of a section never shows over a later one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import flet as ft

from flet_chat.bus.fanout import Fanout
from flet_chat.core.errors import ForbiddenError
from flet_chat.core.models import Room, RoomKind, RoomState
from flet_chat.core.moderation_models import AuditEntry, ModerationAction
from flet_chat.ui import keys
from flet_chat.ui.rooms_session import RoomsSession
from flet_chat.ui.session.admin import AUDIT_PAGE, AdminSession
from flet_chat.ui.views.admin_view import ADMINS_ONLY, AUDIT, BANNED

AT = datetime(2026, 11, 28, 19, 45, tzinfo=UTC)


class Rooms:
    async def rooms_of(self, user_name: str) -> list[RoomState]:
        return [
            RoomState(Room("dev", RoomKind.PUBLIC), 0, mentioned=False),
            RoomState(Room("hush", RoomKind.PRIVATE), 0, mentioned=False),
        ]

    async def public_rooms(self) -> list[Room]:
        return [Room("dev", RoomKind.PUBLIC), Room("old", RoomKind.PUBLIC)]


async def test_an_archived_public_room_leaves_the_directory_and_a_private_one_never_enters() -> (
    None
):
    rooms = RoomsSession(Rooms(), Fanout(), object(), lambda _t, _e: None)  # type: ignore[arg-type]
    await rooms.load("Bob")
    assert rooms.directory() == ["old"]
    entries = {e.key: e for e in rooms.entries()}
    assert entries["hush"].private  # listed for its member, with a lock
    rooms.room_created(Room("secret", RoomKind.PRIVATE))
    assert rooms.directory() == ["old"]

    rooms.room_changed(Room("old", RoomKind.PUBLIC, archived=True))
    assert rooms.directory() == []
    rooms.room_changed(Room("dev", RoomKind.PUBLIC, archived=True, slow_mode_seconds=30))
    dev = rooms.get("dev")
    assert dev is not None
    assert (dev.archived, dev.slow_mode_seconds) == (True, 30)  # its member keeps it, marked
    assert {e.key: e for e in rooms.entries()}["dev"].archived
    rooms.room_changed(Room("old", RoomKind.PUBLIC))  # unarchived: listed again
    assert rooms.directory() == ["old"]


def entry(number: int) -> AuditEntry:
    return AuditEntry(number, AT, "Root", ModerationAction.MUTE, "Bob", "dev", None, "spam", None)


class Moderation:
    """The admin reads of core/moderation.Moderation, recording what was asked."""

    def __init__(self, *, admin: bool, entries: int = 0) -> None:
        self.admin = admin
        self.entries = [entry(n) for n in range(entries, 0, -1)]  # newest first
        self.asked: list[tuple[str, Any]] = []

    async def is_admin(self, user_name: str) -> bool:
        return self.admin

    def _only_admins(self) -> None:
        if not self.admin:
            raise ForbiddenError("Only chat admins can do that.")

    async def open_reports(self, admin: str, *, limit: int = 50) -> list[Any]:
        self.asked.append(("open_reports", admin))
        self._only_admins()
        return []

    async def audit_log(
        self, admin: str, *, limit: int = 50, before: int | None = None
    ) -> list[AuditEntry]:
        self.asked.append(("audit_log", before))
        self._only_admins()
        older = [e for e in self.entries if before is None or e.id < before]
        return older[:limit]


class Harness:
    def __init__(self, moderation: Moderation, me: str | None = "Root") -> None:
        self.shown: list[ft.Control | None] = []
        self.left = 0
        self.moderation = moderation

        async def leave() -> None:
            self.left += 1

        self.admin = AdminSession(
            moderation=moderation,  # type: ignore[arg-type]
            me=lambda: me,
            show=self.shown.append,
            leave=leave,
        )

    def texts(self) -> list[str]:
        view = self.admin.view
        assert view is not None
        return [str(getattr(c, "value", "")) for c in view.body.controls]


async def test_anyone_but_an_admin_sees_admins_only_and_nothing_is_read() -> None:
    for me in ("Bob", None):  # a member, a guest before joining
        harness = Harness(Moderation(admin=False), me=me)
        await harness.admin.open()
        assert harness.texts() == [ADMINS_ONLY]
        assert harness.moderation.asked == []
        view = harness.admin.view
        assert view is not None
        assert not view.sections.visible


async def test_the_audit_log_pages_on_from_the_last_entry_shown() -> None:
    harness = Harness(Moderation(admin=True, entries=AUDIT_PAGE + 3))
    await harness.admin.open()
    assert harness.moderation.asked == [("open_reports", "Root")]
    await harness.admin.show_section(AUDIT)
    view = harness.admin.view
    assert view is not None
    older = [c for c in view.body.controls if c.key == keys.AUDIT_OLDER]
    assert len(older) == 1
    first_page = [c.key for c in view.body.controls if str(c.key).startswith("audit-")]
    assert len(first_page) == AUDIT_PAGE
    assert harness.texts()[0].endswith("Root muted Bob in #dev: spam")
    await older[0].on_click(None)  # type: ignore[misc]
    assert harness.moderation.asked[-1] == ("audit_log", 4)
    rest = [c.key for c in view.body.controls if str(c.key).startswith("audit-")]
    assert rest == [keys.audit_entry(n) for n in (3, 2, 1)]
    assert all(c.key != keys.AUDIT_OLDER for c in view.body.controls)  # the last page

    harness.admin.close()
    assert harness.shown[-1] is None
    assert harness.admin.view is None


def test_a_mute_in_the_audit_log_says_until_when_in_the_viewers_clock() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from flet_chat.core.moderation_models import AuditEntry, ModerationAction
    from flet_chat.ui.clock import Clock
    from flet_chat.ui.views.admin_view import audit_line

    new_york = Clock("America/New_York", hour12=True, tz=ZoneInfo("America/New_York"))
    at = datetime(2026, 11, 28, 20, 45, tzinfo=UTC)
    mute = AuditEntry(1, at, "Alice", ModerationAction.MUTE, "Bob", "dev", None, "spam", "60 min")
    line = audit_line(mute, new_york)
    assert line.endswith("Alice muted Bob in #dev (60 min, until 4:45 PM): spam")
    assert "2026-11" not in line


class SlowBans(Moderation):
    """Bob is banned until `unban`; the first read of the banned waits for `release`."""

    def __init__(self) -> None:
        super().__init__(admin=True)
        self.bans = ["Bob"]
        self.release = asyncio.Event()
        self.first_read = asyncio.Event()
        self.reads = 0

    async def banned(self, admin: str) -> list[str]:
        self.reads += 1
        seen = list(self.bans)
        if self.reads == 1:
            self.first_read.set()
            await self.release.wait()
        return seen

    async def unban(self, admin: str, name: str, *, origin: Any = None) -> None:
        self.bans.remove(name)


async def test_a_slower_earlier_read_of_a_section_does_not_show_over_a_later_one() -> None:
    moderation = SlowBans()
    harness = Harness(moderation)
    await harness.admin.open()
    first = asyncio.create_task(harness.admin.show_section(BANNED))  # waits: Bob still banned
    await moderation.first_read.wait()
    await harness.admin._unban("Bob")  # reads the section again: nobody
    assert harness.texts() == ["Nobody is banned from the chat."]
    moderation.release.set()
    await first
    assert harness.texts() == ["Nobody is banned from the chat."]  # not Bob again
