"""What the user had typed in each room, kept while they look at another room.

Per session, on the server: Flet's web client sends the composer's value as it is typed, so the
server holds it when the user switches rooms. A resumed session (a reload of the tab) keeps its
drafts with everything else. Bounded: a draft is cut to the message length limit and at most
MAX_DRAFTS rooms keep one (the oldest draft goes first)."""

from __future__ import annotations

from flet_chat.core.limits import MAX_MESSAGE_LENGTH

MAX_DRAFTS = 50


class Drafts:
    def __init__(self, *, limit: int = MAX_MESSAGE_LENGTH, max_drafts: int = MAX_DRAFTS) -> None:
        self._limit = limit
        self._max = max_drafts
        self._texts: dict[str, str] = {}  # by room key, oldest first

    def keep(self, room: str, text: str | None) -> None:
        """The user leaves `room` with `text` in the composer."""
        self._texts.pop(room, None)
        if not text or not text.strip():
            return
        self._texts[room] = text[: self._limit]
        while len(self._texts) > self._max:
            del self._texts[next(iter(self._texts))]

    def take(self, room: str) -> str:
        """The user comes back to `room`: its draft goes back into the composer."""
        return self._texts.pop(room, "")

    def sent(self, room: str, text: str) -> None:
        """`text` was sent in `room` after the user had left it: its draft is that text no
        more (unless they had typed on)."""
        if self._texts.get(room) == text[: self._limit]:
            del self._texts[room]

    def clear(self) -> None:
        self._texts.clear()

    def __len__(self) -> int:
        return len(self._texts)
