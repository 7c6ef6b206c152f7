"""What every post asks before it is stored, kept a few seconds per room and user.

A post (and a reaction, an edit) asks the store whether its author may write in the room:
member, not muted, the room not archived, its slow mode. Before rooms had moderation, #general
asked nothing; now every message in a busy room paid one more store query on its way to the
screen. Here a positive answer is kept, by (room, user key), for `ttl` seconds.

Kept answers are dropped at once, all of them, by any event that could change one (a mute,
kick, ban or role change, a member joining or leaving, a room archived or its slow mode set):
RoomService hears the process bus, which carries every process's events, and changes made in
this process are heard before the call that made them returns. A read that began before such
an event is not kept. `ttl` bounds what a lost pub/sub event (Redis keeps nothing) can leave:
a few seconds in which a mute made on another process is not yet known here. A mute's end
needs no event: the kept standing says until when, and the post's own clock decides.

Only answers that let someone write are kept: a refusal is read again each time, so a room
created, or joined, a moment later is never refused from memory.

A kept answer past half its `ttl` is read again behind the post that found it (`due`), so a
person who keeps writing never waits for that read: while a crowd joined, the joins' reads held
every pooled connection and a post whose answer had just expired waited 500-800 ms for one
(bench/changes.md, "sixth session"). An answer's age counts from when its read began (`begin`),
so none is used more than `ttl` after the store was asked, however long the read took, and an
older read ending late never replaces a newer one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from flet_chat.core.models import Membership, Room

TTL_SECONDS = 5.0
CAPACITY = 10_000

Answer = tuple[Room | None, Membership | None]
Began = tuple[int, float]  # the generation and the time when a read began


class StandingCache:
    def __init__(
        self,
        *,
        ttl: float = TTL_SECONDS,
        capacity: int = CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._kept: OrderedDict[tuple[str, str], tuple[Answer, float]] = OrderedDict()
        self._reading: set[tuple[str, str]] = set()  # kept answers being read again
        self.generation = 0  # bumped by every change: a read that began before is not kept

    def get(self, key: tuple[str, str]) -> Answer | None:
        found = self._kept.get(key)
        if found is None:
            return None
        if self._clock() - found[1] > self._ttl:
            del self._kept[key]
            return None
        return found[0]

    def due(self, key: tuple[str, str]) -> bool:
        """Whether the answer kept for `key` should be read again now: past half its ttl, and
        no read of it under way. Marks it under way; `read_again` or `stop_reading` ends that."""
        found = self._kept.get(key)
        if found is None or key in self._reading or self._clock() - found[1] <= self._ttl / 2:
            return False
        self._reading.add(key)
        return True

    def read_again(self, key: tuple[str, str], answer: Answer | None, began: Began) -> None:
        """The new read for `key` has ended: kept, if `answer` lets its user write; else (a
        refusal, or None: the read failed) the kept one is dropped."""
        self._reading.discard(key)
        if answer is None:
            self._kept.pop(key, None)
        else:
            self.keep(key, answer, began)

    def stop_reading(self, key: tuple[str, str]) -> None:
        """The read again of `key` is over, whatever became of it (cancelled before it ran)."""
        self._reading.discard(key)

    def begin(self) -> Began:
        """Taken when a read begins, for `keep`."""
        return self.generation, self._clock()

    def keep(self, key: tuple[str, str], answer: Answer, began: Began) -> None:
        """Keep `answer`, from a read begun at `began`, unless something changed meanwhile or
        a read begun later is kept already."""
        generation, read_at = began
        if generation != self.generation:
            return
        kept = self._kept.get(key)
        if kept is not None and kept[1] > read_at:
            return
        self._kept[key] = (answer, read_at)
        self._kept.move_to_end(key)
        while len(self._kept) > self._capacity:
            self._kept.popitem(last=False)

    def changed(self) -> None:
        """Someone's standing or a room's settings changed: nothing kept is trusted."""
        self._kept.clear()
        self.generation += 1

    def __len__(self) -> int:
        return len(self._kept)
