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
from flet_chat.live.notifier import ChangeNotifier, Listener
from flet_chat.live.typing_tracker import TypingTracker
from flet_chat.tasks import cancel_and_wait

COALESCE_SECONDS = 0.1


class TypingBoard:
    def __init__(
        self,
        *,
        shown: float = TYPING_SHOWN_SECONDS,
        coalesce: float = COALESCE_SECONDS,
    ) -> None:
        self._shown = shown
        self._trackers: dict[str, TypingTracker] = {}  # by room
        self._coalesce = coalesce
        # Sorted, by room; sessions show their room's and leave themselves out.
        self.typists_by_room: dict[str, tuple[str, ...]] = {}
        self._notifier = ChangeNotifier()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def on_event(self, event: LocalEvent) -> None:
        """The bus's process-wide listener; returns at once."""
        if isinstance(event, UserTyping):
            shown = event.user_name in self.typists(event.room)
            tracker = self._trackers.get(event.room)
            if tracker is None:
                tracker = self._trackers[event.room] = TypingTracker(shown=self._shown)
            tracker.typed(event.user_name, asyncio.get_running_loop().time())
            if not shown:
                self._changed.set()
        elif isinstance(event, MessagePosted):
            tracker = self._trackers.get(event.message.room)
            if tracker is not None and tracker.stopped(event.message.user_name):
                self._changed.set()  # their message is here: they are done typing it

    def typists(self, room: str = DEFAULT_ROOM) -> tuple[str, ...]:
        return self.typists_by_room.get(room, ())

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
            expiry = min(
                (e for t in self._trackers.values() if (e := t.next_expiry()) is not None),
                default=None,
            )
            timeout = None if expiry is None else max(0.0, expiry - loop.time())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._changed.wait()
            self._changed.clear()
            now = loop.time()
            for tracker in self._trackers.values():
                tracker.expire(now)
            typists = {
                room: names
                for room, tracker in self._trackers.items()
                if (names := tuple(tracker.names(me=None)))
            }
            # Rooms nobody types in are forgotten, so the board does not grow with rooms.
            self._trackers = {room: self._trackers[room] for room in typists}
            if typists != self.typists_by_room:
                self.typists_by_room = typists
                await self._notifier.notify()
                # Starts and stops that arrive meanwhile are shown together.
                await asyncio.sleep(self._coalesce)
