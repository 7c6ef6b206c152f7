"""The ready-made append patch (flet_compat.send_rows_appended) must say exactly what Flet's own
diff says, and leave the chunk so that Flet's next diff of it is right too.

One real LeakSafeFletApp session shows two identical message lists. A message is appended to
both: one list is updated through Flet's diff, the other through the ready-made patch. Then both
drop their oldest row through Flet's diff. The frames must match but for the chunks' ids.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import flet as ft
import pytest
from fastapi import WebSocketDisconnect
from flet_web.fastapi import app_manager
from starlette.datastructures import URL

from flet_chat.core.models import Message, MessageKind
from flet_chat.flet_compat import LeakSafeFletApp, install_walk_once, send_rows_appended
from flet_chat.testing.flet_client import PATCH, REGISTER, decode, encode
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.views.message_list import MessageList, RowsAppended


class OpenWebSocket:
    """Registers a session and stays open until `closed` is set."""

    def __init__(self) -> None:
        self.client = type("Client", (), {"host": "127.0.0.1"})()
        self.headers = {"user-agent": "append-patch-test"}
        self.cookies: dict[str, str] = {}
        self.url = URL("ws://testserver/ws")
        self.closed = asyncio.Event()
        self._register = [
            encode(REGISTER, {"session_id": None, "page_name": "", "page": {"route": "/"}})
        ]

    async def accept(self) -> None:
        return None

    async def receive_bytes(self) -> bytes:
        if self._register:
            return self._register.pop(0)
        await self.closed.wait()
        raise WebSocketDisconnect(code=1000)

    async def send_bytes(self, _data: bytes) -> None:
        return None


class RecordingFletApp(LeakSafeFletApp):
    """Records every frame as it is queued, whichever way it was made."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.frames: list[bytes] = []

    def send_frame(self, frame: bytes) -> None:
        self.frames.append(frame)
        super().send_frame(frame)


def msg(i: int) -> Message:
    return Message(i, MessageKind.CHAT, "Ann", f"text {i}", datetime(2026, 1, 1, tzinfo=UTC))


def same_ids(value: Any, names: dict[int, str]) -> Any:
    """The frame with the two lists' control ids replaced by what they are."""
    if isinstance(value, dict):
        return {k: same_ids(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [same_ids(v, names) for v in value]
    return names.get(value, value) if isinstance(value, int) else value


def diff_all(updates: list[Any]) -> None:
    """Send updates the way Flet would on its own: a diff of every control that changed."""
    for update in updates:
        (update.chunk if isinstance(update, RowsAppended) else update).update()


@pytest.mark.parametrize("appended", [1, 3])  # one live message, or a frame's worth
async def test_the_ready_made_append_patch_matches_flets_diff(appended: int) -> None:
    install_walk_once()
    rows = RowCache()
    history = [msg(i) for i in range(1, 6)]
    later = [*history, *(msg(6 + i) for i in range(appended))]
    trimmed = later[1:]
    frames: dict[str, list[Any]] = {}
    done = asyncio.Event()
    socket = OpenWebSocket()

    async def main(page: ft.Page) -> None:
        try:
            compare(page)
        finally:
            done.set()  # a failure shows in the assertions below, not as a hang

    def compare(page: ft.Page) -> None:
        heads = [ft.TextButton(content="older") for _ in range(2)]
        diffed, ready_made = (MessageList(rows, head=head) for head in heads)
        # As in the app: the empty lists go on the page, then history arrives as an update.
        page.add(diffed.list_view, ready_made.list_view)
        for view in (diffed, ready_made):
            diff_all(view.show(history, has_older=False))
        names = {
            control._i: name
            for view, head in zip((diffed, ready_made), heads, strict=True)
            for control, name in ((view.list_view, "list"), (head, "head"))
        }
        names |= {view.list_view.controls[0]._i: "chunk" for view in (diffed, ready_made)}

        def sent_by(action: Callable[[], None]) -> list[Any]:
            start = len(app.frames)
            action()
            sent = [decode(frame) for frame in app.frames[start:]]
            assert sent
            assert all(frame[0] == PATCH for frame in sent)
            return [same_ids(frame, names) for frame in sent]

        [append] = ready_made.show(later, has_older=False)
        assert isinstance(append, RowsAppended)
        packed = [rows.packed(m) for m in append.messages]
        frames["diff"] = sent_by(lambda: diff_all(diffed.show(later, has_older=False)))
        frames["ready_made"] = sent_by(
            lambda: send_rows_appended(page, append.chunk, append.start, packed) or None
        )
        frames["diff_after"] = sent_by(lambda: diff_all(diffed.show(trimmed, has_older=True)))
        frames["ready_made_after"] = sent_by(
            lambda: diff_all(ready_made.show(trimmed, has_older=True))
        )

    app = RecordingFletApp(
        loop=asyncio.get_running_loop(), executor=app_manager.executor, main=main, before_main=None
    )
    handler = asyncio.create_task(app.handle(socket))
    try:
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        socket.closed.set()
        await asyncio.wait_for(handler, timeout=10)
    assert len(frames) == 4, "the session did not get through the comparison (see the log)"
    assert frames["ready_made"] == frames["diff"]
    assert frames["ready_made_after"] == frames["diff_after"]
