"""What a session's message list shows, entry by entry: message rows and separators.

Pure Python, so the rules are tested without Flet:
- a day separator ("Today", "Yesterday", "Mon 23 Nov") above the first message of each local
  day of the viewer, and above the first message shown whatever its day;
- consecutive chat messages of one author (same name and kind of author) less than
  GROUP_GAP apart on one local day form a group: the first row shows avatar and name, the
  others ("continued") only their text. A notice, a `/me`, a separator or a gap ends a group.
  The top of the list always shows a day and an author: a list built from scratch starts with
  a separator and a whole row; when the oldest rows fall off, a separator and, above a
  continued row, its author's line (`GroupStart`) are put before it.

Separators are their own small kind of entry (`Separator`), each with its own key and text,
so another divider ("New messages") fits the same list.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flet_chat.core.models import Message, MessageKind
from flet_chat.ui.clock import Clock, day_label, long_day

GROUP_GAP = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class MessageEntry:
    """A message as one viewer's clock shows it; `continued`: under the previous row's author."""

    message: Message
    clock: Clock
    continued: bool = False


@dataclass(frozen=True, slots=True)
class Separator:
    """A line across the list with a label. Rows for separators are shared by `key`."""

    key: str
    label: str
    accessible_label: str
    day: date | None = None  # a day separator's day: its label follows the viewer's today


def day_separator(day: date, today: date) -> Separator:
    label = day_label(day, today)
    return Separator(f"day-{day.isoformat()}-{label}", label, f"{label}, {long_day(day)}", day)


@dataclass(frozen=True, slots=True)
class GroupStart:
    """The author line of a group whose first rows are gone from the top of the list, shown
    above the first of its rows still there (a continued one)."""

    message: Message
    clock: Clock


Entry = MessageEntry | Separator | GroupStart


def continues(previous: Message | None, message: Message) -> bool:
    """Whether `message` is shown under `previous`'s author (both on screen, in this order, on
    one local day: a new day starts with a separator, which ends any group)."""
    if previous is None or message.kind is not MessageKind.CHAT:
        return False
    if previous.kind is not MessageKind.CHAT:
        return False
    if (previous.user_name, previous.author_kind) != (message.user_name, message.author_kind):
        return False
    # abs(): processes' clocks differ a little, so a later message may carry an earlier time.
    return abs(message.created_at - previous.created_at) <= GROUP_GAP


def entries_after(
    previous: Message | None, messages: Sequence[Message], clock: Clock, today: date
) -> tuple[Entry, ...]:
    """The entries of `messages`, shown after `previous` (None: they start the list).

    Every session of a room asks this for the same live message after the same one, with
    the same message objects (one per message and revision in a process:
    live/shared_messages.py) and most often an equal clock; so does every session a crowd
    joins for its first page. The last answer is kept and given to whoever asks the same
    question next (the same objects, an equal clock and day): entries are frozen, so sessions
    can hold the same ones."""
    global _last_answer
    last = _last_answer
    if (
        last is not None
        and last[0] is previous
        and len(last[1]) == len(messages)
        and last[2] == clock
        and last[3] == today
        and all(map(operator.is_, last[1], messages))
    ):
        return last[4]
    entries = _entries_after(previous, messages, clock, today)
    _last_answer = (previous, tuple(messages), clock, today, entries)
    return entries


_last_answer: tuple[Message | None, tuple[Message, ...], Clock, date, tuple[Entry, ...]] | None
_last_answer = None


def _entries_after(
    previous: Message | None, messages: Sequence[Message], clock: Clock, today: date
) -> tuple[Entry, ...]:
    entries: list[Entry] = []
    previous_day = clock.local(previous.created_at).date() if previous is not None else None
    for message in messages:
        day = clock.local(message.created_at).date()
        if day != previous_day:
            entries.append(day_separator(day, today))
            entries.append(MessageEntry(message, clock))
        else:
            entries.append(MessageEntry(message, clock, continues(previous, message)))
        previous, previous_day = message, day
    return tuple(entries)


def top_of(first: Entry, today: date) -> list[Entry]:
    """What goes above `first`, the first entry left after the oldest fell off: its day and,
    for a continued row, its author's line (nothing above a separator)."""
    if not isinstance(first, MessageEntry):
        return []
    top: list[Entry] = [day_separator(first.clock.local(first.message.created_at).date(), today)]
    if first.continued:
        top.append(GroupStart(first.message, first.clock))
    return top


def relabelled(entry: Separator, today: date) -> Separator:
    """A day separator as it reads `today` (the day turned since it was made); others as are."""
    return entry if entry.day is None else day_separator(entry.day, today)
