"""SessionWatch: tells this process's connections (Flet sessions, Socket.IO clients) that the
account session they signed in with has ended: signed out here or on another process, signed out
everywhere, a new password, a revoked access token.

`SessionsEnded` on the bus is the fast path. Redis pub/sub keeps nothing, so an event published
while this process's subscription was down would be lost: every `CHECK_SECONDS` the watch also
asks the store which of its sessions are still live (one query for all of them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from flet_chat.core.events import LocalEvent, SessionsEnded

logger = logging.getLogger(__name__)

CHECK_SECONDS = 4.0

Ended = Callable[[], Awaitable[None]]


class LiveSessions(Protocol):
    async def still_signed_in(self, session_ids: Sequence[int]) -> set[int]: ...


class SessionWatch:
    def __init__(self, accounts: LiveSessions, *, check_seconds: float = CHECK_SECONDS) -> None:
        self._accounts = accounts
        self._check_seconds = check_seconds
        self._watchers: defaultdict[int, list[Ended]] = defaultdict(list)
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    def watch(self, session_id: int, ended: Ended) -> Callable[[], None]:
        """Call `ended` once when the session ends; returns what stops the watch."""
        self._watchers[session_id].append(ended)

        def stop() -> None:
            callbacks = self._watchers.get(session_id)
            if callbacks is not None and ended in callbacks:
                callbacks.remove(ended)
                if not callbacks:
                    del self._watchers[session_id]

        return stop

    def on_event(self, event: LocalEvent) -> None:
        """A bus listener: runs on the loop for every event and returns at once."""
        if isinstance(event, SessionsEnded):
            self._end(event.session_ids)

    def _end(self, session_ids: Sequence[int]) -> None:
        for session_id in session_ids:
            for ended in self._watchers.pop(session_id, []):
                task = asyncio.create_task(self._call(ended))
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    async def _call(self, ended: Ended) -> None:
        try:
            await ended()
        except Exception:
            logger.exception("could not sign out a connection")

    async def check(self) -> None:
        """Ask the store about every watched session; end the ones that are no longer live."""
        watched = list(self._watchers)
        if not watched:
            return
        live = await self._accounts.still_signed_in(watched)
        self._end([session_id for session_id in watched if session_id not in live])

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._check_forever())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for running in list(self._running):
            running.cancel()

    async def _check_forever(self) -> None:
        while True:
            await asyncio.sleep(self._check_seconds)
            try:
                await self.check()
            except Exception as error:  # the database away for a moment: next time
                logger.warning("could not check which sessions are live: %r", error)
