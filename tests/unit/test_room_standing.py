"""The composer's standing in the room on screen (ui/session/room_standing.py): muted until a
time in the viewer's clock, back by itself when the mute runs out, archived, slow mode; a
closed session's timer never fires."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flet_chat.core.models import Room, RoomKind
from flet_chat.core.room_service import ArchivedError, MutedError
from flet_chat.core.rooms import NotAMemberError
from flet_chat.flet_compat import ShiftEnterTextField
from flet_chat.ui.clock import Clock
from flet_chat.ui.session.room_standing import ARCHIVED_NOTE, RoomStanding, slow_mode_note
from tests.support.waiting import wait_until
from tests.unit.session_fakes import FakeScreen, make_view

DEV = Room("dev", RoomKind.PUBLIC)
NEW_YORK_12H = Clock("America/New_York", hour12=True, tz=ZoneInfo("America/New_York"))


class Rooms:
    """`writable` answering as the core would for one user in one room."""

    def __init__(self) -> None:
        self.muted_until: datetime | None = None
        self.archived = False
        self.member = True
        self.slow = 0
        self.asked = 0

    async def writable(self, user_name: str, raw_key: str | None) -> Room:
        self.asked += 1
        if not self.member:
            raise NotAMemberError("Join #dev first.")
        if self.archived:
            raise ArchivedError("dev")
        now = datetime.now(UTC)
        if self.muted_until is not None and self.muted_until > now:
            raise MutedError("dev", self.muted_until, now)
        return Room("dev", RoomKind.PUBLIC, slow_mode_seconds=self.slow)


class Harness:
    def __init__(self) -> None:
        self.rooms = Rooms()
        self.view = make_view()
        self.screen = FakeScreen()
        self.tasks: list[asyncio.Future[None]] = []
        self.standing = RoomStanding(
            rooms=self.rooms,
            view=self.view,
            screen=self.screen,
            me=lambda: "Bob",
            room=lambda: DEV,
            background=self.background,
            clock=NEW_YORK_12H,
            slack=0.01,
        )

    def background(self, work: Awaitable[None]) -> None:
        self.tasks.append(asyncio.ensure_future(work))

    @property
    def field(self) -> ShiftEnterTextField:
        return self.view.message_input


async def test_a_mute_disables_the_composer_until_it_runs_out() -> None:
    harness = Harness()
    until = datetime.now(UTC) + timedelta(milliseconds=300)
    harness.rooms.muted_until = until
    await harness.standing.check()
    local = until.astimezone(NEW_YORK_12H.tz).strftime("%-I:%M %p")
    assert harness.field.helper == f"You are muted in #dev until {local}"
    assert harness.field.disabled
    # No polling: the core is asked again once, when the mute has run out.
    await wait_until(lambda: not harness.field.disabled, timeout=5)
    assert harness.field.helper is None
    assert harness.rooms.asked == 2


async def test_a_closed_session_is_not_woken_by_its_mute() -> None:
    harness = Harness()
    harness.rooms.muted_until = datetime.now(UTC) + timedelta(minutes=10)
    await harness.standing.check()
    assert harness.standing.waiting_for_mute_end
    harness.standing.close()
    assert not harness.standing.waiting_for_mute_end  # its timer is cancelled
    assert harness.tasks == []


async def test_archived_and_slow_mode_say_so_and_a_refusal_keeps_the_note() -> None:
    harness = Harness()
    harness.rooms.archived = True
    await harness.standing.check()
    assert (harness.field.helper, harness.field.disabled) == (ARCHIVED_NOTE, True)
    harness.rooms.archived, harness.rooms.slow = False, 30
    await harness.standing.check()
    assert harness.field.helper == "Slow mode: one message every 30 s"
    assert not harness.field.disabled
    # A refusal under the field, then a sent message: the note comes back under it.
    harness.view.show_composer_error("Slow mode is on in #dev")
    assert harness.field.error == "Slow mode is on in #dev"
    harness.view.show_composer_status(None)
    assert harness.field.helper == "Slow mode: one message every 30 s"
    assert slow_mode_note(300) == "Slow mode: one message every 5 min"
    assert slow_mode_note(90) == "Slow mode: one message every 90 s"


async def test_not_a_member_shows_nothing_and_leaves_posting_to_say_so() -> None:
    harness = Harness()
    harness.rooms.member = False
    await harness.standing.check()
    assert harness.field.helper is None
    assert not harness.field.disabled
