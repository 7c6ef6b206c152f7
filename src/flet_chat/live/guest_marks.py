"""Which names in the member list are guests, asked of the account store once per name per
process and kept a while (never per message, nor per session).

A name shown for the first time reads as a member; one task looks its account up in the
background and, if it is a guest, tells the sessions to draw the mark. Marks expire after
`ttl` seconds and at most `capacity` are kept: a guest who chose a password elsewhere, or a
guest name given back and taken by someone else, is seen within that time (a guest who chose a
password in this process is updated at once, `set`).

Plain asyncio, no Flet: listeners are sync callables that render their own session.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from flet_chat.live.notifier import ChangeNotifier, Listener

logger = logging.getLogger(__name__)

TTL_SECONDS = 600.0
RETRY_SECONDS = 30.0  # after a failed lookup (the store away)
CAPACITY = 4096

IsGuest = Callable[[str], Awaitable[bool | None]]  # None: no such account


class GuestMarks:
    def __init__(
        self,
        is_guest: IsGuest,
        *,
        ttl: float = TTL_SECONDS,
        capacity: int = CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._is_guest = is_guest
        self._ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._marks: OrderedDict[str, tuple[bool, float]] = OrderedDict()  # name -> (guest, when)
        self._wanted: dict[str, None] = {}  # names to look up, in order
        self._task: asyncio.Task[None] | None = None
        self._notifying: set[asyncio.Task[None]] = set()
        self._notifier = ChangeNotifier()
        self.version = 0  # bumped with every mark that changed: lists redraw their rows

    def is_guest(self, name: str) -> bool:
        """The mark as known now; an unknown or old one is looked up in the background."""
        if not self._fresh(name):
            self._want(name)
        known = self._marks.get(name)
        return known is not None and known[0]

    def _fresh(self, name: str) -> bool:
        known = self._marks.get(name)
        return known is not None and self._clock() - known[1] <= self._ttl

    @property
    def looking_up(self) -> bool:
        return self._task is not None and not self._task.done()

    def set(self, name: str, *, guest: bool) -> None:
        """This process knows better (a guest here just chose a password)."""
        before = self._marks.get(name)
        self._keep(name, guest)
        if (before[0] if before else False) == guest:
            return
        # Rows drawn from now on show it (MemberRowCache.rows keys its lists on the version).
        self.version += 1
        # Lists showing a mark known before redraw now. A name not known yet is a newcomer's
        # (this is their own session, signing them in): their arrival redraws every list
        # anyway, and telling every session at each arrival was a redraw per session per
        # arrival (a restart's crowd: a million).
        if before is not None:
            self._notify_soon()

    def subscribe(self, listener: Listener) -> None:
        self._notifier.subscribe(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._notifier.unsubscribe(listener)

    async def stop(self) -> None:
        task, self._task = self._task, None
        for running in [task, *self._notifying]:
            if running is not None:
                running.cancel()

    def _want(self, name: str) -> None:
        self._wanted[name] = None
        if self._task is None or self._task.done():
            try:
                self._task = asyncio.get_running_loop().create_task(self._look_up())
            except RuntimeError:  # no loop (a render outside one): looked up next time
                self._wanted.clear()

    async def _look_up(self) -> None:
        """Look the wanted names up one by one; tell the sessions once if a mark changed."""
        changed = False
        while self._wanted:
            name = next(iter(self._wanted))
            del self._wanted[name]
            if self._fresh(name):  # `set` since it was wanted (the user signed in here)
                continue
            try:
                guest = await self._is_guest(name)
            except Exception as error:  # the store away: the name reads as a member for now
                logger.warning("could not look up whether %s is a guest: %r", name, error)
                if name not in self._marks:  # asked again in a while, not on every render
                    self._keep(name, False, when=self._clock() - self._ttl + RETRY_SECONDS)
                continue
            before = self._marks.get(name)
            self._keep(name, bool(guest))
            changed |= (before[0] if before else False) != bool(guest)
        if changed:
            self.version += 1
            await self._notifier.notify()

    def _keep(self, name: str, guest: bool, *, when: float | None = None) -> None:
        self._marks[name] = (guest, self._clock() if when is None else when)
        self._marks.move_to_end(name)
        while len(self._marks) > self._capacity:
            self._marks.popitem(last=False)

    def _notify_soon(self) -> None:
        try:
            task = asyncio.get_running_loop().create_task(self._notifier.notify())
        except RuntimeError:  # no loop: nothing is on screen to redraw
            return
        self._notifying.add(task)
        task.add_done_callback(self._notifying.discard)
