"""The slice of history a session renders: at most `capacity` messages, in id order, no duplicates.

Pure Python so the rules can be tested without Flet. When the user pages back past the cap,
the newest rows are dropped and the window leaves the live edge; live messages are then not
appended (the user is reading history) until the window is reset to the latest page.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence

from flet_chat.core.models import Message

_RESHAPES = itertools.count()


def _message_id(message: Message) -> int:
    return message.id


class MessageWindow:
    def __init__(self, capacity: int, *, trim_step: int = 1) -> None:
        """`trim_step`: the oldest messages fall off in multiples of this (the list's chunk
        size), so a live message at the cap drops a whole chunk now and then instead of
        reshuffling the first chunk on every message."""
        self.capacity = capacity
        self.trim_step = trim_step
        self.messages: list[Message] = []
        self.has_older = False
        self.at_live_edge = True
        # Changes with every change to the ids shown other than appends at the end and the
        # oldest falling off: a view that saw the same value last time can tell what changed
        # from the ends of the list alone (MessageList.show, at every message in every
        # session). Drawn from one count for every window, so no two windows share a value.
        self.reshapes = next(_RESHAPES)

    def reset(self, latest: Sequence[Message], *, has_older: bool) -> None:
        self.reshapes = next(_RESHAPES)
        self.messages = []
        self.at_live_edge = True
        self.has_older = has_older
        self._merge(latest)
        self._trim_oldest()

    def reset_around(
        self, messages: Sequence[Message], *, has_older: bool, has_newer: bool
    ) -> None:
        """Show a page read around one message (a search result). With newer messages beyond
        it the window is off the live edge: live messages wait for "Jump to newest"."""
        self.reset(messages, has_older=has_older)
        self.at_live_edge = not has_newer

    def add_live(self, message: Message) -> bool:
        """Returns whether the window changed."""
        if not self.at_live_edge:
            return False
        messages = self.messages
        if messages and message.id <= messages[-1].id:  # not the newest (rare): search for it
            if self._index(message.id) is not None:
                return False
            if self.has_older and message.id < messages[0].id:
                return False  # older than the window: "Load older" shows it, a gap must not
            self._merge([message])  # a late delivery still lands in id order
        else:
            messages.append(message)  # the usual case: no search needed
        self._trim_oldest()
        return True

    def get(self, message_id: int) -> Message | None:
        index = self._index(message_id)
        return None if index is None else self.messages[index]

    def replace(self, message: Message) -> bool:
        """Show a changed message (edited, deleted, reacted to) in place of the one with its id;
        returns whether the window changed. An older revision than shown (a late event) and a
        message outside the window (its new state loads with its page) change nothing."""
        index = self._index(message.id)
        if index is None or self.messages[index].revision >= message.revision:
            return False
        self.messages[index] = message
        return True

    def prepend_older(self, older: Sequence[Message], *, has_older: bool) -> None:
        self._merge(older)
        self.has_older = has_older
        overflow = len(self.messages) - self.capacity
        if overflow > 0:
            self.reshapes = next(_RESHAPES)
            del self.messages[-overflow:]
            self.at_live_edge = False

    @property
    def oldest_id(self) -> int | None:
        return self.messages[0].id if self.messages else None

    def _index(self, message_id: int) -> int | None:
        """Where the message with this id is in the window (None: not there). A binary search
        of the id-ordered list rather than a set of the ids: a session keeps no second copy of
        what it shows (a set of a few hundred ids is about 6.6 KB, at every session)."""
        index = bisect.bisect_left(self.messages, message_id, key=_message_id)
        if index < len(self.messages) and self.messages[index].id == message_id:
            return index
        return None

    def _merge(self, incoming: Iterable[Message]) -> None:
        fresh = {m.id: m for m in incoming if self._index(m.id) is None}
        if not fresh:
            return
        self.reshapes = next(_RESHAPES)
        self.messages = sorted([*self.messages, *fresh.values()], key=_message_id)

    def _trim_oldest(self) -> None:
        overflow = len(self.messages) - self.capacity
        if overflow > 0:
            overflow = min(len(self.messages), -(-overflow // self.trim_step) * self.trim_step)
            del self.messages[:overflow]
            self.has_older = True
