"""Roles reach the core: an admin removes anyone's message they can read; nobody else can."""

from __future__ import annotations

import pytest

from flet_chat.bus.presence import LocalPresence
from flet_chat.core.errors import ValidationError
from flet_chat.core.message_actions import NotAllowedError
from flet_chat.core.models import AuthorKind, MessageKind
from flet_chat.core.names import name_skeleton
from flet_chat.core.service import ChatService
from tests.unit.fakes import MemoryRoomStore, MemoryStore, RecordingBus, message_limits

ADMINS = {"root"}


async def _is_admin(name: str) -> bool:
    return name.casefold() in ADMINS


@pytest.fixture
def chat() -> ChatService:
    journal: list[str] = []
    return ChatService(
        MemoryStore(journal),
        RecordingBus(journal),
        message_limits(100, 100.0),
        LocalPresence(),
        MemoryRoomStore(),
        is_admin=_is_admin,
    )


async def test_an_admin_deletes_someone_elses_message(chat: ChatService) -> None:
    message = await chat.post("alice", "spam spam spam")
    deleted = await chat.actions.delete("Root", message.id)
    assert deleted.deleted
    assert deleted.text == ""


async def test_a_member_cannot_delete_someone_elses_message(chat: ChatService) -> None:
    message = await chat.post("alice", "mine")
    with pytest.raises(NotAllowedError):
        await chat.actions.delete("bob", message.id)
    assert not (await chat.actions.delete("alice", message.id)).text


async def test_an_admin_cannot_reach_a_direct_conversation_they_are_not_in() -> None:
    rooms = MemoryRoomStore(claimed=(("bob", name_skeleton("bob")),))
    chat = ChatService(
        MemoryStore([]),
        RecordingBus([]),
        message_limits(100, 100.0),
        LocalPresence(),
        rooms,
        is_admin=_is_admin,
    )
    dm = await chat.rooms.open_direct("alice", "bob")
    message = await chat.post("alice", "between us", room=dm.key)
    with pytest.raises(ValidationError):  # answered as a missing message
        await chat.actions.delete("root", message.id)


async def test_an_admin_removes_what_was_said_but_not_join_notices(chat: ChatService) -> None:
    action = await chat.post("alice", "is away", kind=MessageKind.ACTION)
    assert (await chat.actions.delete("root", action.id)).deleted
    bot = await chat.post("Helper", "an answer", author_kind=AuthorKind.BOT)
    assert (await chat.actions.delete("root", bot.id)).deleted
    _, notice = await chat.join("carol", "tab-1")
    assert notice is not None
    with pytest.raises(NotAllowedError):
        await chat.actions.delete("root", notice.id)
