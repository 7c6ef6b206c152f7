"""asyncio's Event and Queue without their deques, for the ones every session holds.

An empty `collections.deque` takes 760 bytes. `asyncio.Event` keeps its waiters in one, and
`asyncio.Queue` holds three and an Event: a session's websocket (uvicorn's protocol: a queue of
received frames and an event for writing) and Flet's session and page (an event each) held seven,
about 5 KB of every session's 150, for waits that almost never have more than one waiter.
`LeanEvent` keeps its waiters in a list; `OneReaderQueue` is a list and its one reader's future.
`give_asyncio` hands a module asyncio with those names replaced, for the classes it makes them in.

Plain asyncio: no Flet, no uvicorn (flet_compat and server install them).
"""

from __future__ import annotations

import asyncio
import types
from typing import Any


class LeanEvent(asyncio.Event):
    """asyncio.Event with its waiters in a list (what `set` and `wait` do with them, append,
    iterate and remove, a list does as well, and for one or two waiters as fast)."""

    def __init__(self) -> None:  # not asyncio.Event's, which makes the deque
        self._waiters: Any = []
        self._value = False


class OneReaderQueue:
    """What a queue with one reader needs (`put_nowait`, `put`, `get`, `qsize`, `empty`):
    items wait in a list read from `_head` on, cut once most of it has been read, so a long
    backlog costs no more per item than a short one. A second reader while one waits is a
    bug in the caller, refused."""

    __slots__ = ("_head", "_items", "_reader")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._head = 0  # the next item to hand out
        self._reader: asyncio.Future[None] | None = None  # the reader, waiting for an item

    def qsize(self) -> int:
        return len(self._items) - self._head

    def empty(self) -> bool:
        return self._head == len(self._items)

    def reader_idle(self) -> bool:
        """Whether the reader waits for an item and none is queued: what it had it has done."""
        reader = self._reader
        return reader is not None and not reader.done() and self._head == len(self._items)

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        reader = self._reader
        if reader is not None:
            self._reader = None
            if not reader.done():
                reader.set_result(None)

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    async def get(self) -> Any:
        while self._head == len(self._items):
            if self._reader is not None and not self._reader.done():
                raise RuntimeError("OneReaderQueue: a second reader while one waits")
            self._reader = asyncio.get_running_loop().create_future()
            await self._reader
        item = self._items[self._head]
        self._items[self._head] = None  # items handed out are not kept alive by the list
        self._head += 1
        if self._head == len(self._items):
            self._items.clear()
            self._head = 0
        elif self._head > QUEUE_CUT and self._head * 2 > len(self._items):
            del self._items[: self._head]
            self._head = 0
        return item


QUEUE_CUT = 1024  # items read before the list is cut (when they are most of it)


def give_asyncio(module: Any, **replacements: Any) -> None:
    """Let `module` see asyncio with `replacements` for some of its names (idempotent; a
    second call adds to the first's). Only the module's own `asyncio.X` lookups change."""
    current = module.asyncio
    if isinstance(current, types.SimpleNamespace):
        if all(getattr(current, name, None) is value for name, value in replacements.items()):
            return
        names = vars(current)
    else:
        names = {name: getattr(asyncio, name) for name in dir(asyncio) if name[:2] != "__"}
    module.asyncio = types.SimpleNamespace(**(names | replacements))
