"""Search in the core: the words looked for, who may find what, paging and the budget."""

from __future__ import annotations

import pytest

from flet_chat.bus.presence import LocalPresence
from flet_chat.core.errors import RateLimitedError, ValidationError
from flet_chat.core.limits import MAX_SEARCH_LENGTH, MAX_SEARCH_TERMS, SEARCH_PAGE_SIZE
from flet_chat.core.models import MessageKind
from flet_chat.core.names import name_skeleton
from flet_chat.core.rate_limit import (
    DEFAULT_BUDGETS,
    Action,
    Budget,
    LocalRateLimiter,
    RateLimits,
    Rule,
    Scope,
)
from flet_chat.core.rooms import UnknownRoomError, direct_key
from flet_chat.core.search import search_terms
from flet_chat.core.service import ChatService
from tests.unit.fakes import MemoryRoomStore, MemoryStore, RecordingBus, message_limits


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore([])


@pytest.fixture
def chat(store: MemoryStore) -> ChatService:
    people = MemoryRoomStore(claimed=tuple((n, name_skeleton(n)) for n in ("Ann", "Bob", "Carol")))
    return ChatService(store, RecordingBus([]), message_limits(1000, 1.0), LocalPresence(), people)


def texts(results: object) -> list[str]:
    return [m.text for m in results.messages]  # type: ignore[attr-defined]


def test_terms_are_words_and_never_query_syntax() -> None:
    assert search_terms("Deploy") == ("deploy",)
    assert search_terms('  "deploy*" -friday NEAR(a b) OR x^2  ') == (
        "deploy",
        "friday",
        "near",
        "a",
        "b",
        "or",
        "x",
        "2",
    )
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "deploy") + "\u3000" + "\uff26riday"
    assert search_terms(fullwidth) == ("deploy", "friday")
    assert search_terms("snake_case don't deploy DEPLOY") == ("snake", "case", "don", "t", "deploy")
    assert search_terms("Straße Ünïcode 東京") == ("straße", "ünïcode", "東京")


@pytest.mark.parametrize("raw", ["", "   ", '"*"', "-- ^ () :", "_"])
def test_a_query_without_words_is_refused(raw: str) -> None:
    with pytest.raises(ValidationError, match="Type a word to search for"):
        search_terms(raw)


def test_long_queries_and_many_words_are_refused() -> None:
    assert search_terms("a" * MAX_SEARCH_LENGTH) == ("a" * MAX_SEARCH_LENGTH,)
    with pytest.raises(ValidationError, match=f"at most {MAX_SEARCH_LENGTH} characters"):
        search_terms("a" * (MAX_SEARCH_LENGTH + 1))
    words = [f"w{i}" for i in range(MAX_SEARCH_TERMS)]
    assert len(search_terms(" ".join(words))) == MAX_SEARCH_TERMS
    with pytest.raises(ValidationError, match=f"at most {MAX_SEARCH_TERMS} words"):
        search_terms(" ".join([*words, "one-more"]))


async def test_finds_every_word_newest_first_and_never_notices_or_deleted(
    chat: ChatService, store: MemoryStore
) -> None:
    await chat.join("Ann", "s1")  # a join notice: "Ann has joined the chat."
    first = await chat.post("Ann", "Deploy on Friday?")
    await chat.post("Bob", "no deploy today")
    third = await chat.post("Bob", "friday DEPLOY, then")
    gone = await chat.post("Ann", "deploy friday secret")
    await chat.post("Ann", "deploy it", kind=MessageKind.ACTION)
    await chat.actions.delete("Ann", gone.id)
    found = await chat.search.find("friday deploy", reader="Ann")
    assert found.terms == ("friday", "deploy")
    assert [m.id for m in found.messages] == [third.id, first.id]
    assert not found.has_more
    assert texts(await chat.search.find("joined", reader="Ann")) == []
    assert texts(await chat.search.find("it", reader="Bob")) == ["deploy it"]


async def test_edited_messages_are_found_by_their_new_words_only(chat: ChatService) -> None:
    message = await chat.post("Ann", "lunch at noon")
    await chat.actions.edit("Ann", message.id, "dinner at eight")
    assert texts(await chat.search.find("lunch", reader="Bob")) == []
    assert texts(await chat.search.find("dinner", reader="Bob")) == ["dinner at eight"]


async def test_never_other_people_s_direct_conversations(chat: ChatService) -> None:
    dm = await chat.rooms.open_direct("Ann", "Bob")
    await chat.post("Ann", "the password is hunter2", room=dm.key)
    await chat.post("Carol", "what is the password?")
    # Both of them find it, in all their rooms or in that one.
    for reader in ("Ann", "bob"):
        assert texts(await chat.search.find("password", reader=reader)) == [
            "what is the password?",
            "the password is hunter2",
        ]
        assert texts(await chat.search.find("password", reader=reader, room=dm.key)) == [
            "the password is hunter2"
        ]
    # Carol does not, and asking for the conversation by its key gets the no-such-room answer.
    assert texts(await chat.search.find("password", reader="Carol")) == ["what is the password?"]
    assert texts(await chat.search.find("hunter2", reader="Carol")) == []
    with pytest.raises(UnknownRoomError, match="no room that conversation"):
        await chat.search.find("password", reader="Carol", room=dm.key)
    forged = direct_key("Carol", "Bob")  # a conversation that does not exist
    with pytest.raises(UnknownRoomError, match="no room that conversation"):
        await chat.search.find("password", reader="Carol", room=forged)
    # Without a name (a client that has not joined) only #general is searched.
    assert texts(await chat.search.find("password", reader=None)) == ["what is the password?"]
    with pytest.raises(UnknownRoomError, match="no room that conversation"):
        await chat.search.find("password", reader=None, room=dm.key)


async def test_rooms_searched_by_default_are_the_reader_s_own(chat: ChatService) -> None:
    await chat.rooms.create("Ann", "dev")
    await chat.post("Ann", "build is green", room="dev")
    await chat.post("Ann", "green tea in #general")
    # Bob has not joined #dev: a public room he may read on asking, not in his own searches.
    assert texts(await chat.search.find("green", reader="Bob")) == ["green tea in #general"]
    assert texts(await chat.search.find("green", reader="Bob", room="#Dev")) == ["build is green"]
    await chat.rooms.join("Bob", "dev")
    assert texts(await chat.search.find("green", reader="Bob")) == [
        "green tea in #general",
        "build is green",
    ]
    with pytest.raises(UnknownRoomError, match="no room #nope"):
        await chat.search.find("green", reader="Bob", room="nope")
    with pytest.raises(ValidationError, match="Room names are"):
        await chat.search.find("green", reader="Bob", room="not a room!")


async def test_pages_go_back_with_before(chat: ChatService) -> None:
    posted = [await chat.post("Ann", f"ping {i}") for i in range(SEARCH_PAGE_SIZE + 5)]
    first = await chat.search.find("ping", reader="Ann", limit=1000)  # capped at a page
    assert len(first.messages) == SEARCH_PAGE_SIZE
    assert first.has_more
    assert first.messages[0].id == posted[-1].id
    rest = await chat.search.find("ping", reader="Ann", before=first.messages[-1].id)
    assert [m.id for m in rest.messages] == [m.id for m in reversed(posted[:5])]
    assert not rest.has_more
    small = await chat.search.find("ping", reader="Ann", limit=2)
    assert [m.text for m in small.messages] == [posted[-1].text, posted[-2].text]
    assert (await chat.search.find("ping", reader="Ann", before=0)).messages == []
    huge = await chat.search.find("ping", reader="Ann", before=2**70)
    assert huge.messages[0].id == posted[-1].id


async def test_searching_has_a_budget(store: MemoryStore) -> None:
    limits = RateLimits(LocalRateLimiter(), {Action.SEARCH: (Rule(Scope.USER, Budget(2, 0.001)),)})
    chat = ChatService(store, RecordingBus([]), limits, LocalPresence(), MemoryRoomStore())
    await chat.search.find("a", reader="Ann")
    await chat.search.find("a", reader="ANN")
    with pytest.raises(RateLimitedError, match="searching too fast"):
        await chat.search.find("a", reader="ann")
    await chat.search.find("a", reader="Bob")  # someone else's budget
    # A refused query costs nothing; the default budgets count users, connections and IPs.
    with pytest.raises(ValidationError):
        await chat.search.find("", reader="Bob")
    await chat.search.find("a", reader="Bob")
    assert {rule.scope for rule in DEFAULT_BUDGETS[Action.SEARCH]} == set(Scope)


async def test_around_a_message_opens_its_room_there(chat: ChatService) -> None:
    posted = [await chat.post("Ann", f"m{i}") for i in range(10)]
    page = await chat.around(posted[4].id, reader="Ann", limit=4)
    assert [m.text for m in page.messages] == ["m3", "m4", "m5", "m6"]
    assert page.has_older
    assert page.has_newer
    dm = await chat.rooms.open_direct("Ann", "Bob")
    secret = await chat.post("Ann", "psst", room=dm.key)
    with pytest.raises(UnknownRoomError):
        await chat.around(secret.id, dm.key, reader="Carol")
    assert [m.text for m in (await chat.around(secret.id, dm.key, reader="Bob")).messages] == [
        "psst"
    ]
    # Asking #general around a direct message's id shows #general, never the message.
    assert "psst" not in [m.text for m in (await chat.around(secret.id, reader="Carol")).messages]
