"""FrameClock: renders every session that has news at most once per frame, in one pass.

A burst of messages (a crowd joining, a busy room) then costs each session one diff and one
patch per frame instead of one per message. One process-wide timer instead of one per session:
while a pass over 1,000 sessions runs, new events only queue up, and the next pass takes them all,
so the busier the process, the more each pass batches.

Work that can wait for a pass's frames to leave (a session building ahead what its next
message will need) goes to `after_pass`: it runs after the sends the pass queued. It is not
saved, only moved behind the deliveries it would have delayed (a whole pass's of it runs in one
callback, before the next pass).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

FRAME_SECONDS = 0.05


class FrameClock:
    def __init__(self, frame_seconds: float = FRAME_SECONDS) -> None:
        self._frame_seconds = frame_seconds
        self._due: dict[object, Callable[[], None]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._last_pass = float("-inf")
        self._after: list[Callable[[], None]] = []  # asked for during the current pass
        self._in_pass = False

    def request(self, session: object, render: Callable[[], None]) -> None:
        """Have `render` called in the next pass (once, however often this is asked)."""
        self._due[session] = render
        if self._timer is None:
            loop = asyncio.get_running_loop()
            # An idle process renders at once; a busy one waits for the rest of its frame.
            delay = max(0.0, self._last_pass + self._frame_seconds - loop.time())
            self._timer = loop.call_later(delay, self._pass)

    def cancel(self, session: object) -> None:
        self._due.pop(session, None)

    def after_pass(self, work: Callable[[], None]) -> None:
        """Have `work` run once the frames sent so far (in a pass: all of the pass's) have had
        their turn to be sent: the loop runs callbacks in the order they were scheduled, and
        the sends were scheduled first."""
        if self._in_pass:
            self._after.append(work)
        else:
            asyncio.get_running_loop().call_soon(_run_all, [work])

    def _pass(self) -> None:
        self._timer = None
        self._last_pass = asyncio.get_running_loop().time()
        due, self._due = self._due, {}
        self._in_pass = True
        try:
            for render in due.values():
                try:
                    render()
                except Exception:  # one broken session must not keep the others from their news
                    logger.exception("rendering a session failed")
        finally:
            self._in_pass = False
        if self._after:
            after, self._after = self._after, []
            asyncio.get_running_loop().call_soon(_run_all, after)


def _run_all(work: list[Callable[[], None]]) -> None:
    for piece in work:
        try:
            piece()
        except Exception:  # as with renders: one failure must not keep the rest from running
            logger.exception("work after a frame failed")
