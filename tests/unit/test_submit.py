"""One path for what a person types, whichever client they use: a command or a message."""

from __future__ import annotations

import random

import pytest

from flet_chat.bots.dispatcher import BotDispatcher
from flet_chat.bots.helper import HelperBot
from flet_chat.bus.presence import LocalPresence
from flet_chat.core.models import AuthorKind, MessageKind
from flet_chat.core.rooms import NotAMemberError
from flet_chat.core.service import ChatService
from flet_chat.submit import Submissions, Submitted
from tests.unit.fakes import MemoryRoomStore, MemoryStore, RecordingBus, message_limits


async def nobody_online(_room: str) -> list[str] | None:
    return []


@pytest.fixture
def chat() -> ChatService:
    return ChatService(
        MemoryStore([]),
        RecordingBus([]),
        message_limits(100, 1.0),
        LocalPresence(),
        MemoryRoomStore(),
    )


@pytest.fixture
def submissions(chat: ChatService) -> Submissions:
    bots = BotDispatcher(
        chat, [HelperBot(random.Random(1))], spend=chat.spend, online_users=nobody_online
    )
    return Submissions(chat, bots)


async def test_a_message_is_posted_and_a_command_answers_privately(
    chat: ChatService, submissions: Submissions
) -> None:
    posted = await submissions.submit("Ann", "hello", room="general", client_id="c1")
    assert posted.message is not None
    assert posted.message.text == "hello"
    assert posted.hint is None
    helped = await submissions.submit("Ann", "/help", room="general")
    assert helped.message is None
    assert helped.hint is not None
    assert "/roll" in helped.hint
    waved = await submissions.submit("Ann", "/me waves", room="general")
    assert waved == Submitted()  # the bot posted in the room: nothing private to show
    kinds = [m.kind for m in (await chat.latest("general")).messages]
    assert kinds == [MessageKind.CHAT, MessageKind.ACTION]


async def test_an_integration_s_slash_is_text(submissions: Submissions) -> None:
    done = await submissions.submit(
        "CI", "/deploy done", room="general", author_kind=AuthorKind.INTEGRATION
    )
    assert done.message is not None
    assert done.message.text == "/deploy done"


async def test_a_command_runs_only_where_its_user_is(
    chat: ChatService, submissions: Submissions
) -> None:
    await chat.rooms.create("Bob", "dev")
    with pytest.raises(NotAMemberError):
        await submissions.submit("Ann", "/roll 1d6", room="dev")
