"""Who is typing, kept once per process and shared by every session.

Typing events are frequent (one per typist per 2 s) and say the same thing again and again. If
each went to every session, 50 typists in a room of 1,000 sessions would wake 25,000 handlers a
second to change nothing. Instead the bus hands them (and messages, which end a typist's turn)
to this board; sessions hear from it only when the set of typists changes, at most once per
`coalesce` seconds, and each shows that set without its own user.
"""

from __future__ import annotations

import asyncio
import contextlib

from flet_chat.core.events import LocalEvent, MessagePosted, UserTyping
from flet_chat.core.limits import DEFAULT_ROOM, TYPING_SHOWN_SECONDS
from flet_chat.tasks import cancel_and_wait
from flet_chat.ui.notifier import ChangeNotifier, Listener
from flet_chat.ui.views.typing_indicator import TypingTracker

COALESCE_SECONDS = 0.1


class TypingBoard:
    def __init__(
        self,
        *,
        room: str = DEFAULT_ROOM,
        shown: float = TYPING_SHOWN_SECONDS,
        coalesce: float = COALESCE_SECONDS,
    ) -> None:
        self._room = room
        self._tracker = TypingTracker(shown=shown)
        self._coalesce = coalesce
        self.typists: tuple[str, ...] = ()  # sorted; sessions leave themselves out
        self._notifier = ChangeNotifier()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def on_event(self, event: LocalEvent) -> None:
        """The bus's process-wide listener; returns at once."""
        if isinstance(event, UserTyping):
            if event.room != self._room:
                return
            shown = event.user_name in self.typists
            self._tracker.typed(event.user_name, asyncio.get_running_loop().time())
            if not shown:
                self._changed.set()
        elif isinstance(event, MessagePosted) and self._tracker.stopped(event.message.user_name):
            self._changed.set()  # their message is here: they are done typing it

    def subscribe(self, listener: Listener) -> None:
        self._notifier.subscribe(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._notifier.unsubscribe(listener)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="typing-board")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expiry = self._tracker.next_expiry()
            timeout = None if expiry is None else max(0.0, expiry - loop.time())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._changed.wait()
            self._changed.clear()
            self._tracker.expire(loop.time())
            typists = tuple(self._tracker.names(me=None))
            if typists != self.typists:
                self.typists = typists
                await self._notifier.notify()
                # Starts and stops that arrive meanwhile are shown together.
                await asyncio.sleep(self._coalesce)
