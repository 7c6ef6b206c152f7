"""What the user may do in the room on screen, as the composer shows it: muted (until when, in
the viewer's clock), the room archived (read-only), slow mode. The core decides
(`RoomService.writable`, asked again on every post); this only shows its answer, asks again when
the room, the user's standing or the room's settings change, and once more when a mute runs
out (one timer per session, cancelled on close: no polling)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from flet_chat.core.errors import ChatError
from flet_chat.core.models import Room
from flet_chat.core.room_service import ArchivedError, MutedError
from flet_chat.ui.clock import FALLBACK, Clock, time_text
from flet_chat.ui.session.screen import Screen
from flet_chat.ui.views.chat_view import ChatView

logger = logging.getLogger(__name__)

ARCHIVED_NOTE = "This room is archived (read-only)"


def muted_note(room: str, until: datetime, clock: Clock) -> str:
    return f"You are muted in #{room} until {time_text(until, clock)}"


def slow_mode_note(seconds: int) -> str:
    """ "Slow mode: one message every 30 s" ("... every 5 min" for whole minutes past one)."""
    every = f"{seconds // 60} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds} s"
    return f"Slow mode: one message every {every}"


class Writable(Protocol):
    async def writable(self, user_name: str, raw_key: str | None) -> Room: ...


class RoomStanding:
    def __init__(
        self,
        *,
        rooms: Writable,
        view: ChatView,
        screen: Screen,
        me: Callable[[], str | None],
        room: Callable[[], Room],
        background: Callable[[Awaitable[None]], None],
        clock: Clock = FALLBACK,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        slack: float = 0.5,
    ) -> None:
        """`slack`: how long after a mute's end the core is asked again (clocks differ)."""
        self._rooms = rooms
        self._view = view
        self._screen = screen
        self._me = me
        self._room = room
        self._background = background
        self._clock = clock
        self._now = now
        self._slack = slack
        self._mute_ends: asyncio.TimerHandle | None = None
        self._checks = 0  # a newer check supersedes one still waiting for the store

    async def check(self) -> None:
        """Ask the core what the user may do in the room on screen, and show it."""
        self._checks += 1
        check, key, me = self._checks, self._room().key, self._me()
        self._cancel_timer()
        note: str | None = None
        disabled = False
        if me is not None:
            try:
                room = await self._rooms.writable(me, key)
            except MutedError as error:
                note, disabled = muted_note(error.room, error.until, self._clock), True
                self._wake_at(error.until)
            except ArchivedError:
                note, disabled = ARCHIVED_NOTE, True
            except ChatError:
                pass  # not a member (yet): posting says so
            except Exception as error:  # the store is away: leave the composer as it is
                logger.warning("could not read the standing in %s: %r", key, error)
                return
            else:
                if room.slow_mode_seconds:
                    note = slow_mode_note(room.slow_mode_seconds)
        if check != self._checks or key != self._room().key:
            return  # the user moved on meanwhile
        if self._view.set_composer_standing(note, disabled=disabled):
            with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
                self._screen.refresh(self._view.message_input)

    def _wake_at(self, until: datetime) -> None:
        delay = max(0.0, (until - self._now()).total_seconds()) + self._slack
        loop = asyncio.get_running_loop()
        self._mute_ends = loop.call_later(delay, lambda: self._background(self.check()))

    def _cancel_timer(self) -> None:
        if self._mute_ends is not None:
            self._mute_ends.cancel()
            self._mute_ends = None

    @property
    def waiting_for_mute_end(self) -> bool:
        return self._mute_ends is not None and not self._mute_ends.cancelled()

    def close(self) -> None:
        self._checks += 1
        self._cancel_timer()
