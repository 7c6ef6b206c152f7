"""MessageActions on the real SQL store (SQLite and PostgreSQL): who may change what, what is
stored, and what is published."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from flet_chat.bus.presence import LocalPresence
from flet_chat.core.errors import ValidationError
from flet_chat.core.events import MessageChanged
from flet_chat.core.limits import MAX_REACTIONS_PER_MESSAGE
from flet_chat.core.message_actions import NotAllowedError
from flet_chat.core.models import Reaction
from flet_chat.core.service import ChatService
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import upgrade_to_head_async
from flet_chat.storage.room_store import SqlRoomStore
from flet_chat.storage.sql_store import SqlStore
from tests.unit.fakes import RecordingBus, message_limits


@pytest.fixture
def bus() -> RecordingBus:
    return RecordingBus([])


@pytest.fixture
async def chat(database_url: str, bus: RecordingBus) -> AsyncIterator[ChatService]:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    store = SqlStore(engine)
    yield ChatService(
        store,
        bus,
        message_limits(100, 100.0),
        LocalPresence(),
        SqlRoomStore(engine, store),
    )
    await engine.dispose()


def changes(bus: RecordingBus) -> list[MessageChanged]:
    return [e for e in bus.other if isinstance(e, MessageChanged)]


async def test_the_author_edits_and_the_revision_grows(
    chat: ChatService, bus: RecordingBus
) -> None:
    posted = await chat.post("Alice", "teh text @bob")
    edited = await chat.actions.edit("alice", posted.id, "the text @carol")
    assert (edited.text, edited.edited, edited.revision) == ("the text @carol", True, 1)
    assert [c.message for c in changes(bus)] == [edited]
    # The same text again changes nothing and publishes nothing.
    assert await chat.actions.edit("Alice", posted.id, "the text @carol") == edited
    assert len(changes(bus)) == 1
    page = await chat.latest()
    assert page.messages[-1] == edited  # a reload shows the edit


async def test_nobody_else_may_edit_or_delete(chat: ChatService, bus: RecordingBus) -> None:
    posted = await chat.post("Alice", "mine")
    with pytest.raises(NotAllowedError):
        await chat.actions.edit("Bob", posted.id, "hijacked")
    with pytest.raises(NotAllowedError):
        await chat.actions.delete("Bob", posted.id)
    assert (await chat.latest()).messages[-1] == posted
    assert changes(bus) == []


async def test_a_delete_leaves_a_stub_without_text_or_reactions(
    chat: ChatService, bus: RecordingBus
) -> None:
    posted = await chat.post("Alice", "oops")
    await chat.actions.toggle_reaction("Bob", posted.id, "👍")
    deleted = await chat.actions.delete("Alice", posted.id)
    assert (deleted.deleted, deleted.text, deleted.reactions) == (True, "", ())
    assert deleted.revision == 2
    assert (await chat.latest()).messages[-1] == deleted
    with pytest.raises(NotAllowedError):
        await chat.actions.edit("Alice", posted.id, "back")
    with pytest.raises(NotAllowedError):
        await chat.actions.toggle_reaction("Bob", posted.id, "👍")
    assert [c.message.revision for c in changes(bus)] == [1, 2]


async def test_reactions_toggle_per_user_in_order(chat: ChatService) -> None:
    posted = await chat.post("Alice", "ship it")
    await chat.actions.toggle_reaction("Bob", posted.id, "👍")
    both = await chat.actions.toggle_reaction("Alice", posted.id, "👍")
    assert both.reactions == (Reaction("👍", ("Bob", "Alice")),)
    once = await chat.actions.toggle_reaction("bob", posted.id, "👍")  # names ignore case
    assert once.reactions == (Reaction("👍", ("Alice",)),)
    assert once.revision == 3
    with pytest.raises(ValidationError):
        await chat.actions.toggle_reaction("Bob", posted.id, "ok")  # words are not emoji
    assert (await chat.latest()).messages[-1].reactions == once.reactions


async def test_a_message_carries_a_limited_number_of_different_emoji(chat: ChatService) -> None:
    posted = await chat.post("Alice", "react to me")
    emoji = [chr(0x1F600 + i) for i in range(MAX_REACTIONS_PER_MESSAGE + 1)]
    for one in emoji[:-1]:
        message = await chat.actions.toggle_reaction("Bob", posted.id, one)
    with pytest.raises(ValidationError):
        await chat.actions.toggle_reaction("Bob", posted.id, emoji[-1])
    # An emoji already there may still gain people; the refused one changed nothing.
    more = await chat.actions.toggle_reaction("Carol", posted.id, emoji[0])
    assert len(more.reactions) == MAX_REACTIONS_PER_MESSAGE
    assert more.revision == message.revision + 1
