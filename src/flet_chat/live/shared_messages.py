"""One Message object for each message as it is now, however many sessions hold it.

Each session keeps the messages it shows (ui/message_window.py). A live message reaches every
session as the one object the bus handed over, but a page of history is read per session
(#general's newest page is shared for a few seconds, and read again after any edit or
reaction there): at 1,000 sessions each held its own copies of the same 50
messages, their texts, names and times. `SharedMessages.shared` hands back, for each message of
a page read, the object already held for that message at that revision, if any session still
holds one. Kept weakly: a message no session shows any more is not kept alive here.

Plain Python, no Flet.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

from flet_chat.core.models import HistoryPage, Message


class SharedMessages:
    def __init__(self) -> None:
        # (id, revision) -> the message as first read at that revision.
        self._held: weakref.WeakValueDictionary[tuple[int, int], Message] = (
            weakref.WeakValueDictionary()
        )

    def __len__(self) -> int:
        return len(self._held)

    def shared(self, messages: Sequence[Message]) -> list[Message]:
        """`messages`, each replaced by the object already held for it if it is the same (a
        revision is one state of a message; an unequal one, which should not happen, is kept
        as read and not shared)."""
        held = self._held
        out: list[Message] = []
        for message in messages:
            key = (message.id, message.revision)
            kept = held.get(key)
            if kept is None:
                held[key] = message
                kept = message
            elif kept is not message and kept != message:
                kept = message
            out.append(kept)
        return out

    def page(self, page: HistoryPage) -> HistoryPage:
        """The page with its messages shared (`shared`)."""
        return HistoryPage(self.shared(page.messages), page.has_older, page.has_newer)
