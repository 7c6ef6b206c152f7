"""The ready-made patches (ui/updates.py) must say exactly what Flet's own diff says, and leave
the chunks and the list so that Flet's next diff of them is right too.

One real LeakSafeFletApp session shows two identical message lists. Messages are appended to
both: one list is updated through Flet's diff, the other through the ready-made patches. Then
both take one more message and drop their oldest row through Flet's diff. The frames must match
but for the controls' ids.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import flet as ft
import pytest
from fastapi import WebSocketDisconnect
from flet_web.fastapi import app_manager
from starlette.datastructures import URL

from flet_chat.core.models import Message, MessageKind
from flet_chat.flet_compat import LeakSafeFletApp, install_walk_once
from flet_chat.testing.flet_client import PATCH, REGISTER, FletClient, decode, encode
from flet_chat.ui import keys
from flet_chat.ui.controls.load_older import load_older_button
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.updates import send_updates
from flet_chat.ui.views.message_list import CHUNK_SIZE, ListSpliced, MessageList, RowsAppended
from tests.support.control_trees import without_ids


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
        self.ready_made = 0  # frames that did not come through Flet's diff
        self._diffing = False

    def send_message(self, message: Any) -> None:
        self._diffing = True
        try:
            super().send_message(message)
        finally:
            self._diffing = False

    def send_frame(self, frame: bytes) -> None:
        self.frames.append(frame)
        self.ready_made += not self._diffing
        super().send_frame(frame)


async def in_a_session(
    body: Callable[[ft.Page, RecordingFletApp], None], *, timeout: float = 20
) -> None:
    """Run `body` on the page of a real session whose app records every frame, then close the
    session. A failure in `body` shows in the caller's assertions, not as a hang."""
    done = asyncio.Event()
    socket = OpenWebSocket()

    async def main(page: ft.Page) -> None:
        try:
            body(page, app)
        finally:
            done.set()

    app = RecordingFletApp(
        loop=asyncio.get_running_loop(), executor=app_manager.executor, main=main, before_main=None
    )
    handler = asyncio.create_task(app.handle(socket))
    try:
        await asyncio.wait_for(done.wait(), timeout=timeout)
    finally:
        socket.closed.set()
        await asyncio.wait_for(handler, timeout=10)


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
        if isinstance(update, RowsAppended):
            update.chunk.update()
        elif isinstance(update, ListSpliced):
            update.list_view.update()
        else:
            update.update()


@pytest.mark.parametrize(
    ("history", "appended"),
    [
        (0, 1),  # the first message of an empty room
        (5, 1),  # one live message into the last chunk
        (5, 3),  # a frame's worth of messages
        (CHUNK_SIZE, 1),  # a message that starts a new chunk
        (CHUNK_SIZE - 2, 5),  # rows for the last chunk and a new one, in one frame
    ],
)
@pytest.mark.parametrize("ahead", [False, True], ids=["built-on-the-spot", "spare-prepared"])
async def test_ready_made_patches_match_flets_diff(
    history: int, appended: int, ahead: bool
) -> None:
    """`ahead`: each list prepared its next chunk once the last frame was out, as sessions do
    (MessageList.prepare_spare); the list through Flet's diff did too, so a prepared chunk must
    also be right when Flet's diff sends it."""
    install_walk_once()
    rows = RowCache()
    shown = [msg(i) for i in range(1, history + 1)]
    later = [*shown, *(msg(history + 1 + i) for i in range(appended))]
    next_one = [*later, msg(history + appended + 1)]
    trimmed = next_one[1:]
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
            diff_all(view.show(shown, has_older=False))
            if ahead:
                view.prepare_spare()

        def names() -> dict[int, str]:
            found: dict[int, str] = {}
            for view, head in zip((diffed, ready_made), heads, strict=True):
                found |= {view.list_view._i: "list", head._i: "head"}
                chunks = [c for c in view.list_view.controls if c is not head]
                found |= {c._i: f"chunk{i}" for i, c in enumerate(chunks)}
            return found

        def sent_by(action: Callable[[], None]) -> list[Any]:
            start = len(app.frames)
            action()
            sent = [decode(frame) for frame in app.frames[start:]]
            assert sent
            assert all(frame[0] == PATCH for frame in sent)
            return [same_ids(frame, names()) for frame in sent]

        ready_updates = ready_made.show(later, has_older=False)
        frames["diff"] = sent_by(lambda: diff_all(diffed.show(later, has_older=False)))
        frames["ready_made"] = sent_by(lambda: send_updates(page, ready_updates))
        # Into an empty list the first rows replace the list whole, as in Flet's diff.
        assert app.ready_made == len(frames["ready_made"])
        # Flet's next diffs of the chunks and the list start from what the client was told.
        for name, shows in (("next", next_one), ("trimmed", trimmed)):
            frames[f"diff_{name}"] = sent_by(
                lambda shows=shows: diff_all(diffed.show(shows, has_older=True))
            )
            frames[f"ready_made_{name}"] = sent_by(
                lambda shows=shows: diff_all(ready_made.show(shows, has_older=True))
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
    assert len(frames) == 6, "the session did not get through the comparison (see the log)"
    assert frames["ready_made"] == frames["diff"]
    assert frames["ready_made_next"] == frames["diff_next"]
    assert frames["ready_made_trimmed"] == frames["diff_trimmed"]


def replay(mirror: FletClient, frames: list[bytes]) -> None:
    """Apply frames to a client mirror (the test client's own patch logic)."""
    for frame in frames:
        action, body = decode(frame)
        if action == REGISTER:
            mirror.page = body["page_patch"]
            mirror._index(mirror.page)
        elif action == PATCH:
            mirror._apply(body["id"], body["patch"])


def varied(i: int) -> Message:
    """Runs of one author, gaps that end groups and a new day now and then: what changes the
    lead rows above the top as the oldest fall off."""
    author = ("Ann", "Bob", "Cy")[(i // 3) % 3]
    at = datetime(2026, 1, 1, 22, tzinfo=UTC) + timedelta(minutes=3 * i + 4 * (i // 4))
    return Message(i, MessageKind.CHAT, author, f"text {i}", at)


@pytest.mark.parametrize("ahead", [False, True], ids=["built-on-the-spot", "spare-prepared"])
async def test_splices_leave_the_client_with_what_flets_diff_would(ahead: bool) -> None:
    """A client mirror (the test client's patch logic) takes every frame; after each step the
    list sent ready-made must read exactly as the list sent through Flet's diff: chunks falling
    off, lead rows changing, a rebuild, the head shown and hidden. `ahead`: both lists prepare
    the chunk their next message starts after each step, as sessions do after each frame."""
    install_walk_once()
    rows = RowCache()
    capacity = 4 * CHUNK_SIZE
    steps: list[tuple[list[Message], bool]] = []
    window = MessageWindow(capacity, trim_step=CHUNK_SIZE)
    window.reset([varied(i) for i in range(1, capacity - 3)], has_older=True)
    steps.append((list(window.messages), True))
    for i in range(capacity - 3, capacity + 3 * CHUNK_SIZE):
        window.add_live(varied(i))
        steps.append((list(window.messages), window.has_older))
    steps.append(([varied(i) for i in range(200, 230)], False))  # jumped: rebuilt, no head
    steps.append(([varied(i) for i in range(200, 232)], True))  # the head comes back
    steps.append(([varied(i) for i in range(200, 234)], True))  # "New messages" above 221
    steps.append(([varied(i) for i in range(200, 236)], True))  # and it stays
    divider_from = len(steps) - 2
    compared: list[int] = []
    splices = 0
    mirror = FletClient("ws://unused")

    def compare_steps(page: ft.Page, app: RecordingFletApp) -> None:
        nonlocal splices
        # Both show the process's "Load older" head, as every session does.
        diffed, ready_made = (MessageList(rows, head=load_older_button()) for _ in range(2))
        page.add(diffed.list_view, ready_made.list_view)
        for number, (messages, has_older) in enumerate(steps):
            if number == divider_from:
                for view in (diffed, ready_made):
                    view.mark_unread_from(221)
            diff_all(diffed.show(messages, has_older=has_older))
            updates = ready_made.show(messages, has_older=has_older)
            splices += sum(isinstance(u, ListSpliced) for u in updates)
            send_updates(page, updates)
            replay(mirror, app.frames)
            app.frames.clear()
            sent = [without_ids(mirror._by_id[v.list_view._i]) for v in (diffed, ready_made)]
            assert sent[0] == sent[1], f"step {number}"
            compared.append(number)
            if ahead:
                for view in (diffed, ready_made):
                    view.prepare_spare()

    await in_a_session(compare_steps)
    assert compared == list(range(len(steps)))
    # Every change of the list's items went out ready-made: the first page (into the empty
    # list, the head with it), the three times a chunk started and the oldest fell off, the
    # rebuild after a jump, the head coming back and the divider placed.
    assert splices == 7


async def test_a_first_page_with_older_history_goes_out_in_one_ready_made_frame() -> None:
    """The first page of a room with older history, head and all, is one frame that did not
    come through Flet's diff; the client shows the head above the rows."""
    install_walk_once()
    frames_for_page: list[bytes] = []
    ready_made_for_page = 0

    def first_page(page: ft.Page, app: RecordingFletApp) -> None:
        nonlocal ready_made_for_page
        view = MessageList(RowCache(), head=load_older_button())
        page.add(view.list_view)
        app.frames.clear()
        app.ready_made = 0
        send_updates(
            page, view.show([msg(i) for i in range(1, 2 * CHUNK_SIZE + 4)], has_older=True)
        )
        frames_for_page.extend(app.frames)
        ready_made_for_page = app.ready_made

    await in_a_session(first_page)
    assert len(frames_for_page) == 1
    assert ready_made_for_page == 1
    action, body = decode(frames_for_page[0])
    assert action == PATCH
    items = body["patch"][1][3]  # the list's new items, replacing the empty list
    assert items[0]["key"] == keys.LOAD_OLDER_BUTTON
    assert items[0]["on_click"] is True  # the client sends its clicks (routed: ui/routing.py)
    assert len(items) == 1 + 3  # the head, then three chunks of rows (two full, one of three)
