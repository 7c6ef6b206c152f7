"""The search dialog on fakes: what a user sees for a query (results newest first, the words
bold, where and who), paging, refusals, and a result opening its room at that message."""

from __future__ import annotations

from typing import Any

import flet as ft
import pytest

from flet_chat.bus.presence import LocalPresence
from flet_chat.core.limits import SEARCH_PAGE_SIZE
from flet_chat.core.models import HistoryPage, Message
from flet_chat.core.names import name_skeleton
from flet_chat.core.service import ChatService
from flet_chat.ui import keys
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.search_highlight import ELLIPSIS, highlight_spans, snippet
from flet_chat.ui.session.conversation import Conversation
from flet_chat.ui.session.search import SEARCH_FAILED, SearchSession
from flet_chat.ui.views.search_dialog import NOTHING_FOUND, SearchDialog
from tests.unit.fakes import MemoryRoomStore, MemoryStore, RecordingBus, message_limits
from tests.unit.session_fakes import FakeScreen, Submit, make_view, message


def test_highlight_marks_whole_words_without_case_or_accents() -> None:
    assert highlight_spans("Deploy the deployment, DEPLOY!", ["deploy"]) == [
        ("Deploy", True),
        (" the deployment, ", False),
        ("DEPLOY", True),
        ("!", False),
    ]
    assert highlight_spans("un café crème", ["cafe", "CRÈME"]) == [
        ("un ", False),
        ("café", True),
        (" ", False),
        ("crème", True),
    ]
    assert highlight_spans("nothing here", ["x"]) == [("nothing here", False)]
    assert highlight_spans("", ["x"]) == []


def test_a_long_text_is_cut_around_its_first_match() -> None:
    text = "a " * 300 + "needle " + "b " * 300
    cut = snippet(text, ["needle"], length=100)
    assert cut.startswith(ELLIPSIS)
    assert cut.endswith(ELLIPSIS)
    assert "needle" in cut
    assert snippet("short\n\nand  spaced", ["x"]) == "short and spaced"


def test_a_window_around_a_message_leaves_the_live_edge_when_newer_ones_exist() -> None:
    window = MessageWindow(200)
    window.reset_around([message(5), message(6)], has_older=True, has_newer=True)
    assert not window.at_live_edge
    assert not window.add_live(message(90))  # waits for "Jump to newest"
    window.reset_around([message(5), message(6)], has_older=True, has_newer=False)
    assert window.at_live_edge
    assert window.add_live(message(7))


class Opened:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, room: str, message_id: int) -> None:
        self.calls.append((room, message_id))


@pytest.fixture
def chat() -> ChatService:
    people = MemoryRoomStore(claimed=tuple((n, name_skeleton(n)) for n in ("Ann", "Bob")))
    store = MemoryStore([])
    return ChatService(store, RecordingBus([]), message_limits(1000, 1.0), LocalPresence(), people)


def make_search(
    chat: ChatService, me: str | None = "Ann"
) -> tuple[SearchSession, FakeScreen, Opened]:
    screen, opened = FakeScreen(), Opened()
    session = SearchSession(
        search=chat.search,
        screen=screen,
        me=lambda: me,
        origin=None,
        open_at=opened,
        room_title=lambda key: "@Bob" if key.startswith("dm:") else f"#{key}",
    )
    return session, screen, opened


def seen(dialog: SearchDialog) -> list[tuple[str, str]]:
    """Each result as a user reads it: its heading, and its text with bold words in *stars*."""
    rows = []
    for row in dialog.results.controls:
        assert isinstance(row, ft.Container)
        assert isinstance(row.content, ft.Column)
        heading, body = row.content.controls
        assert isinstance(heading, ft.Text)
        assert isinstance(body, ft.Text)
        bold = ft.FontWeight.BOLD
        words = "".join(
            f"*{s.text}*" if s.style is not None and s.style.weight == bold else s.text or ""
            for s in body.spans or []
        )
        rows.append((str(heading.value).split(" \u00b7 2026")[0].rsplit(" \u00b7 ", 1)[0], words))
    return rows


async def test_results_show_newest_first_with_the_words_bold(chat: ChatService) -> None:
    dm = await chat.rooms.open_direct("Ann", "Bob")
    await chat.post("Bob", "**Deploy** on `Friday`?")
    secret = await chat.post("Bob", "deploy the hotfix first", room=dm.key)
    await chat.post("Ann", "lunch")
    session, screen, opened = make_search(chat)
    await session.open()
    dialog = session.dialog
    assert dialog is not None
    assert screen.dialogs == [dialog.dialog]
    assert screen.focused == [dialog.input]
    await session.submit(Submit("DEPLOY"))
    assert seen(dialog) == [
        ("@Bob \u00b7 Bob", "*deploy* the hotfix first"),
        ("#general \u00b7 Bob", "*Deploy* on Friday?"),  # as its row reads, without Markdown
    ]
    assert dialog.results in screen.refreshed
    assert [r.key for r in dialog.results.controls] == [
        keys.search_result(secret.id),
        keys.search_result(secret.id - 1),
    ]
    assert not dialog.more_button.visible
    assert not dialog.status.visible

    # A click on a result closes the dialog and opens its room at that message.
    row = dialog.results.controls[0]
    assert isinstance(row, ft.Container)
    assert row.on_click is not None
    await row.on_click(None)  # type: ignore[arg-type, misc]
    assert screen.closed == [dialog.dialog]
    assert opened.calls == [(dm.key, secret.id)]


async def test_nothing_found_refusals_and_failures_are_said(chat: ChatService) -> None:
    await chat.post("Bob", "hello")
    session, screen, _ = make_search(chat)
    await session.submit(Submit("goodbye"))
    dialog = session.dialog
    assert dialog is not None
    assert (dialog.status.visible, dialog.status.value) == (True, NOTHING_FOUND)
    await session.submit(Submit("  ?!  "))
    assert dialog.input.error == "Type a word to search for."
    await session.submit(Submit("hello"))
    assert dialog.input.error is None
    assert seen(dialog) == [("#general \u00b7 Bob", "*hello*")]

    class Broken:
        async def find(self, *_args: Any, **_kwargs: Any) -> Any:
            raise ConnectionError("database unreachable")

    broken = SearchSession(
        search=Broken(),
        screen=screen,
        me=lambda: "Ann",
        origin=None,
        open_at=Opened(),
        room_title=str,
    )
    await broken.submit(Submit("hello"))
    assert broken.dialog is not None
    assert broken.dialog.input.error == SEARCH_FAILED


async def test_more_results_page_on_from_the_last_one(chat: ChatService) -> None:
    for i in range(SEARCH_PAGE_SIZE + 3):
        await chat.post("Bob", f"ping {i}")
    session, _screen, _ = make_search(chat)
    await session.submit(Submit("ping"))
    dialog = session.dialog
    assert dialog is not None
    assert len(dialog.results.controls) == SEARCH_PAGE_SIZE
    assert dialog.more_button.visible
    dialog.input.value = "something else typed meanwhile"  # "More" pages the shown query
    await session.more()
    texts = [m.text for m in dialog.shown]
    assert texts == [f"ping {i}" for i in reversed(range(SEARCH_PAGE_SIZE + 3))]
    assert not dialog.more_button.visible


class AroundHistory:
    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages
        self.around_calls: list[tuple[int, str]] = []

    async def latest(self, room: str = "general", *, reader: str | None = None) -> HistoryPage:
        return HistoryPage(self.messages[-3:], has_older=True)

    async def before(
        self, message_id: int, room: str = "general", *, reader: str | None = None
    ) -> HistoryPage:
        return HistoryPage([], has_older=False)

    async def around(
        self, message_id: int, room: str = "general", *, reader: str | None = None
    ) -> HistoryPage:
        self.around_calls.append((message_id, room))
        page = [m for m in self.messages if abs(m.id - message_id) <= 3]
        return HistoryPage(page, has_older=True, has_newer=page[-1].id < self.messages[-1].id)

    async def topic(self, room: str = "general") -> str | None:
        return None

    async def mark_read(self, user_name: str, room: str, message_id: int) -> None:
        return None


class NoChanges:
    def take_changes(self, window: MessageWindow) -> list[Message]:
        return []


async def test_the_conversation_opens_at_a_message_with_the_ones_around_it() -> None:
    history = AroundHistory([message(i) for i in range(1, 21)])
    view = make_view()
    conversation = Conversation(
        history=history,
        read_marks=history,
        window=MessageWindow(200),
        view=view,
        screen=FakeScreen(),
        changes=NoChanges(),
        me=lambda: "Ann",
    )
    await conversation.load_history(at=10)
    # The list sits at its bottom, so the result is in view with at most two rows below it.
    assert [m.id for m in conversation.window.messages] == [7, 8, 9, 10, 11, 12]
    assert view.message_list.auto_scroll
    assert not conversation.window.at_live_edge
    # "Jump to newest messages" brings the live edge back.
    assert view.jump_button is not None
    assert view.jump_button.visible
    conversation.hold(message(21))
    conversation.flush()
    assert 21 not in [m.id for m in conversation.window.messages]
    # A result among the newest messages of the room on screen: the ones more than two below
    # it are left out (else the list's bottom would hide it), and come back with "Jump".
    await conversation.show_around(17)
    assert [m.id for m in conversation.window.messages] == [14, 15, 16, 17, 18, 19]
    assert not conversation.window.at_live_edge
    assert view.jump_button.visible
    await conversation.show_around(19)
    assert [m.id for m in conversation.window.messages] == [16, 17, 18, 19, 20]
    assert conversation.window.at_live_edge
    assert history.around_calls == [(10, "general"), (17, "general"), (19, "general")]


def test_jump_to_newest_is_drawn_only_once_the_list_leaves_its_newest() -> None:
    view = make_view()
    window = MessageWindow(200)
    window.reset([message(i) for i in range(1, 6)], has_older=False)
    view.render(window)
    assert view.jump_button is None  # at the newest message: nothing to jump to, nothing drawn
    assert len(view.chat_column.controls) == 3  # the list, who is typing, the composer
    window.reset_around([message(i) for i in range(1, 4)], has_older=False, has_newer=True)
    updates = view.render(window)
    button = view.jump_button
    assert button is not None
    assert button.visible
    assert button.key == keys.JUMP_TO_NEWEST_BUTTON
    row = view.chat_column.controls[1]  # under the list, above who is typing
    assert isinstance(row, ft.Row)
    assert len(row.controls) == 1
    assert row.controls[0] is button
    assert any(u is view.chat_column for u in updates)
    window.reset([message(i) for i in range(1, 6)], has_older=False)
    updates = view.render(window)
    assert not button.visible  # back at the newest: hidden, kept for the next time
    assert any(u is button for u in updates)
    assert not any(u is view.chat_column for u in updates)
    assert len(view.chat_column.controls) == 4
