"""Unread messages on fakes: "New messages" above the first unread message when a room opens
(and it stays put while the room is open), the unread count in the tab title, and the
composer's draft kept per room."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from flet_chat.bus.fanout import Fanout
from flet_chat.core.models import (
    HistoryPage,
    Membership,
    Message,
    MessageKind,
    Room,
    RoomKind,
    RoomRole,
    RoomState,
)
from flet_chat.core.rate_limit import Origin
from flet_chat.core.room_service import GENERAL
from flet_chat.submit import Submitted
from flet_chat.ui import keys
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.rooms_session import RoomsSession
from flet_chat.ui.session.composer import Composer
from flet_chat.ui.session.conversation import Conversation
from flet_chat.ui.session.drafts import Drafts
from flet_chat.ui.session.navigation import Navigation
from flet_chat.ui.session.tab_title import TabTitle, title_for
from flet_chat.ui.views.message_list import CHUNK_SIZE, ListSpliced, MessageChunk
from flet_chat.ui.views.room_list import RoomList
from tests.support.waiting import wait_until
from tests.unit.session_fakes import FakeScreen, Submit, make_view, nothing, open_nothing

DEV = Room("dev", RoomKind.PUBLIC)
DIVIDER = "new"


def said(
    i: int, by: str = "Bob", room: str = "general", kind: MessageKind = MessageKind.CHAT
) -> Message:
    return Message(i, kind, by, f"m{i}", datetime(2026, 1, 1, tzinfo=UTC), room=room)


class FakeService:
    """History per room, the user's rooms with their unread counts, read marks."""

    def __init__(self, history: dict[str, list[Message]], unread: dict[str, int]) -> None:
        self.history = history
        self.unread = unread
        self.marked: list[tuple[str, int]] = []

    async def latest(self, room: str = "general", *, reader: str | None = None) -> HistoryPage:
        return HistoryPage(list(self.history.get(room, [])), has_older=False)

    async def before(
        self, message_id: int, room: str = "general", *, reader: str | None = None
    ) -> HistoryPage:
        return HistoryPage([], has_older=False)

    async def topic(self, room: str = "general") -> str | None:
        return None

    def take_changes(self, window: MessageWindow) -> list[Message]:
        return []

    async def mark_read(self, user_name: str, room: str, message_id: int) -> None:
        self.marked.append((room, message_id))

    async def rooms_of(self, user_name: str) -> list[RoomState]:
        rooms = {"general": GENERAL, "dev": DEV}
        return [RoomState(rooms[k], n, mentioned=False) for k, n in self.unread.items()]

    async def public_rooms(self) -> list[Room]:
        return [GENERAL, DEV]

    async def members(self, key: str) -> list[str]:
        return ["Alice", "Bob"]

    async def memberships(self, user_name: str, key: str) -> list[Membership]:
        return [Membership(key, "Alice", RoomRole.OWNER), Membership(key, "Bob")]


class FakePresence:
    """The member list (PresenceSession draws straight onto the page)."""

    def show_room(
        self, room: str, members: list[str] | None, roles: dict[str, str] | None = None
    ) -> None:
        return None


class Session:
    """The parts of one session that unread messages touch, wired as the controller does."""

    def __init__(self, service: FakeService, *, capacity: int = 200) -> None:
        self.service = service
        self.screen = FakeScreen()
        self.view = make_view()
        self.title = TabTitle(self.screen)
        self.drafts = Drafts()
        self.rooms = RoomsSession(service, Fanout(), self, self.ignore)  # type: ignore[arg-type]
        self.conversation = Conversation(
            history=service,
            read_marks=service,
            window=MessageWindow(capacity, trim_step=CHUNK_SIZE),
            view=self.view,
            screen=self.screen,
            changes=service,
            me=lambda: "Alice",
        )
        self.navigation = Navigation(
            rooms_service=service,  # type: ignore[arg-type]
            rooms=self.rooms,
            room_list=RoomList(on_open=open_nothing, on_join=open_nothing, on_new_room=nothing),
            conversation=self.conversation,
            presence=FakePresence(),  # type: ignore[arg-type]
            view=self.view,
            screen=self.screen,
            me=lambda: "Alice",
            origin=None,
            background=lambda work: None,
            drafts=self.drafts,
            title=self.title,
        )

    def ignore(self, _topic: str, _event: Any) -> None:
        return None

    async def start(self) -> None:
        """As a session starts: #general's history, then the user is known and their rooms."""
        await self.conversation.load_history()
        await self.navigation.enter_rooms()

    def live(self, message: Message) -> None:
        """A message arrives from the fan-out and the next frame shows it."""
        if message.room == self.conversation.room.key:
            self.conversation.hold(message)
        elif self.rooms.count(message):
            self.navigation.render_rooms()
        self.conversation.flush()

    def shown(self) -> list[int | str]:
        """The message list as the user sees it: message ids and where "New messages" is."""
        items: list[int | str] = []
        for control in self.view.message_list.controls:
            if control.key == keys.UNREAD_DIVIDER:
                items.append(DIVIDER)
            elif isinstance(control, MessageChunk):
                rows = [str(row.key) for row in control.controls]
                items += [int(key.split("-")[1]) for key in rows if key.startswith("msg-")]
        return items


def chat(first: int, last: int, *, room: str = "general") -> list[Message]:
    return [said(i, room=room) for i in range(first, last + 1)]


async def test_the_divider_goes_above_the_first_unread_message_of_someone_else() -> None:
    # 1-5 read; then Bob 6, Alice's own 7 (not unread), a join notice 8 (not counted), Bob 9.
    history = [
        *chat(1, 5, room="dev"),
        said(6, room="dev"),
        said(7, by="Alice", room="dev"),
        said(8, room="dev", kind=MessageKind.JOIN),
        said(9, room="dev"),
    ]
    session = Session(FakeService({"dev": history}, {"general": 0, "dev": 2}))
    await session.start()
    assert DIVIDER not in session.shown()  # nothing unread in #general
    await session.navigation.switch_to(DEV)
    assert session.shown() == [1, 2, 3, 4, 5, DIVIDER, 6, 7, 8, 9]


async def test_the_divider_stays_put_while_the_room_is_open_and_goes_once_read() -> None:
    session = Session(FakeService({"dev": chat(1, 8, room="dev")}, {"general": 0, "dev": 3}))
    await session.start()
    await session.navigation.switch_to(DEV)
    assert session.shown() == [1, 2, 3, 4, 5, DIVIDER, 6, 7, 8]
    for i in range(9, 30):  # arriving while the user looks: below the line, which stays
        session.live(said(i, room="dev"))
    assert session.shown() == [1, 2, 3, 4, 5, DIVIDER, *range(6, 30)]
    await session.navigation.switch_to(GENERAL)
    session.service.history["dev"] = chat(1, 29, room="dev")
    await session.navigation.switch_to(DEV)  # read everything: no line
    assert session.shown() == list(range(1, 30))
    await session.navigation.switch_to(GENERAL)
    session.live(said(30, room="dev"))
    session.service.history["dev"] = chat(1, 30, room="dev")
    await session.navigation.switch_to(DEV)  # one new since: the line moved to it
    assert session.shown() == [*range(1, 30), DIVIDER, 30]


async def test_the_room_open_at_the_start_gets_its_divider_when_the_counts_come() -> None:
    session = Session(FakeService({"general": chat(1, 6)}, {"general": 2}))
    await session.conversation.load_history()
    assert session.shown() == [1, 2, 3, 4, 5, 6]
    sent_before = len(session.screen.sent)
    await session.navigation.enter_rooms()
    assert session.shown() == [1, 2, 3, 4, DIVIDER, 5, 6]
    # The list went out again (with the line), and #general's badge and the title show 0.
    list_view = session.view.message_list
    assert any(
        list_view in u or any(isinstance(x, ListSpliced) and x.list_view is list_view for x in u)
        for u in session.screen.sent[sent_before:]
    )
    assert session.rooms.unread("general") == 0
    assert session.screen.titles == []  # nothing was ever unread elsewhere: no title sent


async def test_the_divider_leaves_with_its_message() -> None:
    session = Session(FakeService({"dev": chat(1, 20, room="dev")}, {"dev": 15}), capacity=20)
    await session.start()
    await session.navigation.switch_to(DEV)
    assert session.shown() == [1, 2, 3, 4, 5, DIVIDER, *range(6, 21)]
    for i in range(21, 41):  # the oldest rows fall off, the line's message too
        session.live(said(i, room="dev"))
    assert DIVIDER not in session.shown()
    assert session.shown()[-1] == 40


async def test_more_unread_than_shown_puts_the_divider_above_the_oldest_shown() -> None:
    session = Session(FakeService({"dev": chat(51, 60, room="dev")}, {"dev": 99}))
    await session.start()
    await session.navigation.switch_to(DEV)
    assert session.shown() == [DIVIDER, *range(51, 61)]


def test_the_title_reads_the_count() -> None:
    assert title_for(0) == "Flet Chat"
    assert title_for(3) == "(3) Flet Chat"
    assert title_for(250) == "(99+) Flet Chat"


async def test_the_title_counts_every_room_and_changes_only_when_the_count_does() -> None:
    session = Session(FakeService({}, {"general": 0, "dev": 2}))
    await session.start()
    assert session.screen.titles == ["(2) Flet Chat"]
    session.live(said(10, room="dev"))
    session.live(said(11, by="Alice", room="dev"))  # their own message: not unread
    session.live(said(12, room="general"))  # the room on screen, tab visible: seen
    assert session.screen.titles == ["(2) Flet Chat", "(3) Flet Chat"]
    await session.navigation.switch_to(DEV)
    assert session.screen.titles[-1] == "Flet Chat"


def test_a_hidden_tab_counts_the_room_on_screen_until_shown_again() -> None:
    screen = FakeScreen()
    title = TabTitle(screen)
    title.rooms_changed(1)
    title.missed_here(2)  # visible: the user saw them
    title.visibility_changed(hidden=True)
    title.missed_here(2)
    assert screen.titles == ["(1) Flet Chat", "(3) Flet Chat"]
    title.visibility_changed(hidden=False)
    assert screen.titles[-1] == "(1) Flet Chat"


async def test_each_room_keeps_its_draft_across_switches() -> None:
    session = Session(FakeService({}, {"general": 0, "dev": 0}))
    await session.start()
    field = session.view.message_input
    field.value = "half a thought for general"
    await session.navigation.switch_to(DEV)
    assert field.value == ""
    assert field in session.screen.refreshed
    field.value = "for dev"
    await session.navigation.switch_to(GENERAL)
    assert field.value == "half a thought for general"
    await session.navigation.switch_to(DEV)
    assert field.value == "for dev"
    await session.navigation.switch_to(GENERAL)
    assert field.value == "half a thought for general"


def test_drafts_are_bounded() -> None:
    drafts = Drafts(limit=5, max_drafts=2)
    drafts.keep("a", "x" * 100)
    assert drafts.take("a") == "xxxxx"
    drafts.keep("a", "1")
    drafts.keep("b", "2")
    drafts.keep("c", "3")  # the oldest goes
    assert (drafts.take("a"), drafts.take("b"), drafts.take("c")) == ("", "2", "3")
    drafts.keep("a", "   ")  # only spaces: nothing to keep
    assert len(drafts) == 0


class SlowSubmit:
    """Submissions.submit that the test lets finish after the user switched rooms."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sent: list[tuple[str, str]] = []

    async def __call__(
        self,
        user_name: str,
        text: str,
        *,
        room: str,
        client_id: str,
        is_retry: bool,
        origin: Origin | None,
    ) -> Submitted:
        self.sent.append((room, text))
        # The user switches to #dev and back while the message is on its way.
        await self.session.navigation.switch_to(DEV)
        await self.session.navigation.switch_to(GENERAL)
        return Submitted(message=None, hint=None)


async def test_sending_clears_that_rooms_draft_even_after_switching_away() -> None:
    session = Session(FakeService({}, {"general": 0, "dev": 0}))
    await session.start()
    submit = SlowSubmit(session)

    async def restored() -> None:
        return None

    composer = Composer(
        submit=submit,
        view=session.view,
        screen=session.screen,
        me=lambda: "Alice",
        room=lambda: session.conversation.room.key,
        restored=restored,
        posted=restored,
        drafts=session.drafts,
    )
    field = session.view.message_input
    field.value = "hello"
    await composer.send(Submit("hello"))
    assert submit.sent == [("general", "hello")]
    assert field.value == ""  # back in #general: the text sent is not offered again
    # Sent from #dev, and the user is back in #general before it is through: #dev's draft
    # (the text sent) is dropped, #general's stays in the composer.
    field.value = "typed in general"
    await session.navigation.switch_to(DEV)
    field.value = "for dev"
    await composer.send(Submit("for dev"))
    assert submit.sent[-1] == ("dev", "for dev")
    assert session.conversation.room.key == "general"
    assert field.value == "typed in general"
    assert session.drafts.take("dev") == ""


class SlowService(FakeService):
    """Public rooms wait for `gate`; the user's rooms fail `failures` times first."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__({}, {"general": 0})
        self.gate = asyncio.Event()
        self.failures = failures

    async def rooms_of(self, user_name: str) -> list[RoomState]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database unreachable")
        return await super().rooms_of(user_name)

    async def public_rooms(self) -> list[Room]:
        await self.gate.wait()
        return await super().public_rooms()


async def test_the_rooms_read_is_told_at_once_not_after_the_whole_load() -> None:
    # The composer's standing check waits for the rooms' read (which brings #general's
    # standing), not for the public rooms and profiles after it.
    service = SlowService()
    told: list[str] = []
    entering = asyncio.create_task(
        Session(service).navigation.enter_rooms(rooms_read=lambda: told.append("read"))
    )
    await wait_until(lambda: told == ["read"])
    assert not entering.done()
    service.gate.set()
    await entering
    assert told == ["read"]


async def test_a_failed_rooms_read_is_told_at_once_and_again_when_a_retry_reads_them() -> None:
    # The standing check goes on without the rooms when their read fails (the store may be
    # back for it), and again once a retry has read them: a failed check shows nothing.
    service = SlowService(failures=2)
    service.gate.set()
    told: list[int] = []
    entering = asyncio.create_task(
        Session(service).navigation.enter_rooms(rooms_read=lambda: told.append(service.failures))
    )
    await wait_until(lambda: told == [1])  # the first failure, not the second
    assert not entering.done()  # backing off before it asks again
    await entering
    assert told == [1, 0]
