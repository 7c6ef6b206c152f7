"""Who is online, read once per process and shared by every session.

Sessions must not each ask Redis on every presence change: with 1,000 sessions joining that is
a million reads. Instead the bus hands every `PresenceChanged` to this cache, which only marks
itself stale; a single task re-reads the list at most once per `coalesce` seconds and tells the
sessions (a burst of joins costs one read and one member list render per session per second;
past SESSIONS_PER_WINDOW sessions the window grows with them).
With Redis it also re-reads every `poll` seconds, because sessions of a process that died expire
without anyone announcing it, and a change event may be lost on the way (pub/sub keeps nothing).

Plain asyncio, no Flet: listeners are sync callables that render their own session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from flet_chat.core.events import LocalEvent, PresenceChanged
from flet_chat.live.notifier import ChangeNotifier, Listener
from flet_chat.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

COALESCE_SECONDS = 1.0
# Past this many sessions the window grows with them (2 s at 1,000): each notice costs every
# session a member list update, so a crowd arriving or coming back at once (a restart's tabs)
# would otherwise spend a share of the loop redrawing counts that change again a second later.
SESSIONS_PER_WINDOW = 500
POLL_SECONDS = 5.0


class PresenceCache:
    def __init__(
        self,
        read: Callable[[], Awaitable[list[str]]],
        *,
        coalesce: float = COALESCE_SECONDS,
        poll: float | None = None,
    ) -> None:
        self._read = read
        self._coalesce = coalesce
        self._poll = poll
        self.users: tuple[str, ...] = ()
        self._notifier = ChangeNotifier()
        self._stale = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def on_event(self, event: LocalEvent) -> None:
        """The bus's process-wide listener: only presence changes matter here."""
        if isinstance(event, PresenceChanged):
            self.invalidate()

    def invalidate(self) -> None:
        """Something changed: re-read soon. Cheap and idempotent, so call it per event."""
        self._stale.set()

    def subscribe(self, listener: Listener) -> None:
        self._notifier.subscribe(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._notifier.unsubscribe(listener)

    async def start(self) -> None:
        if self._task is None:
            self._stale.set()  # the first read happens at once
            self._task = asyncio.create_task(self._refresh_forever(), name="presence-cache")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _refresh_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._stale.wait()
            self._stale.clear()
            try:
                await self.refresh()
            except Exception:
                logger.exception("could not read who is online; keeping the last list")
            # Changes that arrive meanwhile are read together at the end of the window.
            await asyncio.sleep(coalesce_window(self._coalesce, len(self._notifier)))

    async def refresh(self) -> None:
        users = tuple(await self._read())
        if users == self.users:
            return
        self.users = users
        await self._notifier.notify()


def coalesce_window(base: float, sessions: int) -> float:
    """Seconds between re-reads: `base`, longer in proportion past SESSIONS_PER_WINDOW."""
    return base * max(1.0, sessions / SESSIONS_PER_WINDOW)
