"""Loaded by the server only when this folder is first on its PYTHONPATH: it logs each step of
a message's post that took longer than `SLOW_MS`, to find where a message sent while a crowd
joins waits (bench/changes.md, "fifth session"):

    PYTHONPATH=bench/post_timing .venv/bin/python -m bench.run --only joins-1000 \
        --targets ours --no-docs
    grep -h SLOW bench/results/logs/<the run's timestamp>/joins-1000-ours.log

The steps: the composer's send, the service's post, its check of the author's standing
(`RoomService.writable`, whose store read is `store.standing`), its rate budget (`spend`), the
insert and publish (`record`, whose store write is `store.add`). A post's line comes after its
steps' lines. Nothing here changes what the server does.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from flet_chat.core import room_service, service
from flet_chat.storage import room_store, sql_store
from flet_chat.ui.session import composer

SLOW_MS = 60.0


def _timed(owner: type, name: str, label: str) -> None:
    original: Callable[..., Awaitable[Any]] = getattr(owner, name)

    @functools.wraps(original)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            took = (time.perf_counter() - began) * 1000
            if took > SLOW_MS:
                print(f"SLOW {label} {took:.0f}ms", file=sys.stderr, flush=True)

    setattr(owner, name, timed)


_timed(composer.Composer, "send", "composer.send")
_timed(service.ChatService, "post", "post")
_timed(service.ChatService, "spend", "spend")
_timed(service.ChatService, "_record", "record")
_timed(room_service.RoomService, "writable", "writable")
_timed(room_store.SqlRoomStore, "standing", "store.standing")
_timed(sql_store.SqlStore, "add", "store.add")
