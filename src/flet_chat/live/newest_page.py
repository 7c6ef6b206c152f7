"""#general's newest page and topic, read once for the sessions that open it together.

Every tab opens on #general, behind the name dialog: a crowd joining, or a restarted server's
tabs coming back, read the same 50 messages a thousand times over. Here one read serves every
session that asks, for at most `ttl` seconds (which bounds what a lost pub/sub event could
leave stale: live/shared_read.py). A message posted in the room meanwhile (a crowd's join
notices) does not cost another read: it is merged into the answer (`merge`). An edit, a
reaction, a deletion, a topic or messages restored after an outage (`stale`) make the next
session read again.

Why a shared answer misses nothing: a session subscribes to the room before it asks
(SessionController.start). A message stored after the read's snapshot is announced after it
was stored: if the announcement came before the session asked, it is among the messages this
read has heard of and merged into the session's answer; if it came after, the session was
already listening and merges it by id, as it does with anything published while history
loads. A message heard before a read began was stored before it: the read has it.

Plain asyncio, no Flet.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from flet_chat.core.events import LocalEvent, MessageChanged, MessagePosted, MessagesRestored
from flet_chat.core.limits import HISTORY_PAGE_SIZE
from flet_chat.core.models import HistoryPage, Message
from flet_chat.live.shared_read import SharedRead

TTL_SECONDS = 5.0
# Past this many messages heard since a read began, the next session reads again rather than
# have each answer merge them all.
MAX_HEARD = 50

T = TypeVar("T")


class NewestPage(Generic[T]):
    def __init__(
        self,
        room: str,
        read: Callable[[], Awaitable[T]],
        merge: Callable[[T, Sequence[Message]], T],
        *,
        stale: Callable[[Message], bool] = lambda _message: False,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`merge(answer, messages)`: the answer with posted `messages` in it (some may be there
        already); `stale(message)`: whether a posted message changes more than `merge` can."""
        self._room = room
        self._read = read
        self._merge = merge
        self._stale = stale
        self._heard: list[Message] = []  # posted since the newest read began
        self._shared = SharedRead(self._read_and_hear, ttl=ttl, clock=clock)

    def on_event(self, event: LocalEvent) -> None:
        """The bus's process-wide listener: anything that changes the room's newest page."""
        if isinstance(event, MessagePosted):
            message = event.message
            if message.room != self._room:
                return
            if self._stale(message) or len(self._heard) >= MAX_HEARD:
                self._shared.changed()
            else:
                self._heard.append(message)
        elif (isinstance(event, MessageChanged) and event.message.room == self._room) or (
            isinstance(event, MessagesRestored)
            and any(message.room == self._room for message in event.messages)
        ):
            self._shared.changed()

    async def read(self) -> T:
        """The page (callers must not change it: it may be shared)."""
        answer, heard = await self._shared.read()
        return self._merge(answer, heard) if heard else answer

    async def _read_and_hear(self) -> tuple[T, list[Message]]:
        # A list of its own for each read, started before the read's snapshot: a session
        # still waiting for an older read merges what that read heard until this one began
        # (anything later came after it asked, and it hears that live).
        heard = self._heard = []
        return await self._read(), heard


def opening_with_posted(
    opening: tuple[HistoryPage, str | None],
    posted: Sequence[Message],
    *,
    limit: int = HISTORY_PAGE_SIZE,
) -> tuple[HistoryPage, str | None]:
    """A room's opening (its newest page of `limit`, as `ChatService.latest` reads it by
    default, and its topic) with `posted` messages in it, as a read after them would give: in
    id order, the newest `limit`. A message the read has already is kept as read; one posted
    twice (a retried send is announced again) counts once. The topic is as read: a posted
    topic is `stale`."""
    page, topic = opening
    by_id = {message.id: message for message in reversed(posted)}  # the first one heard
    by_id.update((message.id, message) for message in page.messages)
    if len(by_id) == len(page.messages):
        return opening
    merged = sorted(by_id.values(), key=lambda message: message.id)
    return HistoryPage(merged[-limit:], page.has_older or len(merged) > limit), topic
