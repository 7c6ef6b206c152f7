"""The composer on fakes: Enter pressed twice sends once, a send the store refused for a moment
is retried with one client id, and what the user sees under the field at each step."""

from __future__ import annotations

import asyncio

from flet_chat.core.errors import JOIN_BEFORE_SENDING, ChatError
from flet_chat.core.rate_limit import Origin
from flet_chat.submit import Submitted
from flet_chat.ui.session.composer import SEND_FAILED, SEND_RETRYING, Composer
from flet_chat.ui.views.chat_view import ChatView
from tests.unit.session_fakes import FakeScreen, Submit, make_view, message


class FakeSubmissions:
    """Fails `failures` times with a lost connection, then stores the message."""

    def __init__(self, failures: int = 0, refusal: str | None = None) -> None:
        self.failures = failures
        self.refusal = refusal
        self.calls: list[tuple[str, str, str, bool]] = []  # text, room, client id, is_retry
        self.gate: asyncio.Event | None = None  # when set, each submit waits for it
        self.helper_seen: list[object] = []  # what was under the field at each attempt
        self.view: ChatView | None = None
        self.called = asyncio.Event()

    async def submit(
        self,
        user_name: str,
        text: str,
        *,
        room: str,
        client_id: str,
        is_retry: bool,
        origin: Origin | None,
    ) -> Submitted:
        self.calls.append((text, room, client_id, is_retry))
        self.called.set()
        if self.view is not None:
            self.helper_seen.append(self.view.message_input.helper)
        if self.gate is not None:
            await self.gate.wait()
        if self.refusal is not None:
            raise ChatError(self.refusal)
        if len(self.calls) <= self.failures:
            raise ConnectionError("database unreachable")
        return Submitted(message(len(self.calls)))


class Harness:
    def __init__(self, submissions: FakeSubmissions, me: str | None = "Alice") -> None:
        self.view = make_view()
        self.screen = FakeScreen()
        self.me = me
        self.room = "general"
        self.posted = 0
        submissions.view = self.view
        self.composer = Composer(
            submit=submissions.submit,
            view=self.view,
            screen=self.screen,
            me=lambda: self.me,
            room=lambda: self.room,
            restored=self.restored,
            posted=self.on_posted,
            retry_delays=(0.0, 0.0, 0.0),
        )

    async def restored(self) -> None:
        return None

    async def on_posted(self) -> None:
        self.posted += 1

    async def type_and_send(self, text: str) -> None:
        self.view.message_input.value = text
        await self.composer.send(Submit(text))


async def test_enter_pressed_twice_sends_once() -> None:
    submissions = FakeSubmissions()
    submissions.gate = asyncio.Event()
    harness = Harness(submissions)
    first = asyncio.create_task(harness.type_and_send("hello"))
    await submissions.called.wait()  # the first send is on its way
    await harness.type_and_send("hello")  # the second Enter returns at once
    submissions.gate.set()
    await first
    assert [call[0] for call in submissions.calls] == ["hello"]
    assert harness.view.message_input.value == ""
    # Once it is through, the same text may be sent again on purpose.
    await harness.type_and_send("hello")
    assert [call[0] for call in submissions.calls] == ["hello", "hello"]


async def test_a_send_that_fails_twice_is_retried_with_one_client_id() -> None:
    submissions = FakeSubmissions(failures=2)
    harness = Harness(submissions)
    await harness.type_and_send("hello")
    assert [(text, retry) for text, _, _, retry in submissions.calls] == [
        ("hello", False),
        ("hello", True),
        ("hello", True),
    ]
    assert len({client_id for _, _, client_id, _ in submissions.calls}) == 1
    # "retrying" showed while it was retried; now it is gone and so is the text.
    assert submissions.helper_seen == [None, SEND_RETRYING, SEND_RETRYING]
    field = harness.view.message_input
    assert field.helper is None
    assert field.error is None
    assert field.value == ""
    assert harness.posted == 1
    assert harness.screen.focused == [field]


async def test_a_send_that_keeps_failing_keeps_the_text_and_says_so() -> None:
    submissions = FakeSubmissions(failures=100)
    harness = Harness(submissions)
    await harness.type_and_send("hello")
    assert len(submissions.calls) == 4  # the first try and three retries
    field = harness.view.message_input
    assert field.error == SEND_FAILED
    assert field.value == "hello"
    assert harness.posted == 0


async def test_a_refusal_is_shown_and_not_retried() -> None:
    submissions = FakeSubmissions(refusal="Slow down a little.")
    harness = Harness(submissions)
    await harness.type_and_send("hello")
    assert len(submissions.calls) == 1
    assert harness.view.message_input.error == "Slow down a little."
    assert harness.view.message_input.value == "hello"


async def test_nobody_joined_nothing_is_sent() -> None:
    submissions = FakeSubmissions()
    harness = Harness(submissions, me=None)
    await harness.type_and_send("hello")
    assert submissions.calls == []
    assert harness.view.message_input.error == JOIN_BEFORE_SENDING
    await harness.type_and_send("   ")  # nor is a blank line, joined or not
    harness.me = "Alice"
    await harness.type_and_send("   ")
    assert submissions.calls == []


async def test_a_retried_send_stays_in_the_room_it_was_typed_in() -> None:
    """The user switches rooms while a send is being retried: it still goes where it was
    written, never to the room now on screen."""
    submissions = FakeSubmissions(failures=1)
    harness = Harness(submissions)
    submissions.gate = asyncio.Event()
    sending = asyncio.create_task(harness.type_and_send("for dev only"))
    harness.room = "dev"
    await submissions.called.wait()
    harness.room = "general"  # switched while the first attempt was on its way
    submissions.gate.set()
    await sending
    assert [room for _, room, _, _ in submissions.calls] == ["dev", "dev"]
