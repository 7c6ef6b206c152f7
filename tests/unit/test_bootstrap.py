"""bootstrap() wires the whole process (chat, bots, submissions, presence cache, typing board)
around substitutes: here the in-memory fakes, with no database file and no network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flet_chat.bootstrap import Services, bootstrap
from flet_chat.bus.presence import LocalPresence
from flet_chat.core.errors import NameTakenError
from flet_chat.core.models import MessageKind
from flet_chat.settings import Settings
from tests.unit.fakes import (
    MemoryAccountStore,
    MemoryRoomStore,
    MemoryStore,
    PlainHasher,
    RecordingBus,
    message_limits,
)


class NoHub:
    """The bus is a substitute, so nothing may reach the hub behind LocalBus."""

    def send_all_on_topic(self, topic: str, message: object) -> None:
        raise AssertionError(f"the hub got {message!r} on {topic}")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def services(data_dir: Path) -> Iterator[tuple[Services, MemoryStore, RecordingBus]]:
    journal: list[str] = []
    store, bus, rooms = MemoryStore(journal), RecordingBus(journal), MemoryRoomStore()
    built = bootstrap(
        Settings(data_dir=data_dir, secret_key="k" * 48),
        NoHub(),
        store=store,
        room_store=rooms,
        account_store=MemoryAccountStore(rooms),
        hasher=PlainHasher(),
        bus=bus,
        presence=LocalPresence(),
        limits=message_limits(10, 10.0),
    )
    yield built, store, bus
    assert not data_dir.exists()  # no database file, no secret key file


async def test_a_message_submitted_is_stored_and_published_on_the_fakes(
    services: tuple[Services, MemoryStore, RecordingBus],
) -> None:
    built, store, bus = services
    assert built.engine is None
    assert built.store is store
    assert built.bus is bus
    name, _ = await built.chat.join("Alice", "tab-1")
    submitted = await built.submissions.submit(name, "hello", room="general")
    assert submitted.message is not None
    assert [e.message for e in bus.events if e.message.kind is MessageKind.CHAT] == [
        submitted.message
    ]
    assert store.journal.index(f"stored {submitted.message.id}") < store.journal.index(
        f"published {submitted.message.id}"
    )
    # The process's listeners hang on the substitute bus as they would on the real one.
    assert bus.listeners == [
        built.chat.rooms.on_event,
        built.presence_cache.on_event,
        built.profile_cache.on_event,
        built.typing_board.on_event,
        built.room_directory.on_event,
        built.general_page.on_event,
        built.session_watch.on_event,
    ]
    assert bus.presence
    assert bus.presence[0].user_name == "Alice"


async def test_a_command_goes_to_the_bots_not_the_room(
    services: tuple[Services, MemoryStore, RecordingBus],
) -> None:
    built, store, _bus = services
    name, _ = await built.chat.join("Alice", "tab-1")
    before = len(store.messages)
    submitted = await built.submissions.submit(name, "/help", room="general")
    assert submitted.message is None
    assert submitted.hint
    assert len(store.messages) == before


async def test_accounts_run_on_the_substitute_store_and_hasher(
    services: tuple[Services, MemoryStore, RecordingBus],
) -> None:
    built, _store, _bus = services
    signed = await built.accounts.sign_up("Alice", "correct horse battery")
    assert (signed.account.user_name, signed.account.is_admin) == ("Alice", True)
    # The bots' names are reserved for accounts too: one ReservedNames for both services.
    with pytest.raises(NameTakenError, match="is the name of a bot"):
        await built.accounts.guest(sorted(built.bots.names)[0])


def test_a_store_without_its_room_and_account_stores_is_refused(data_dir: Path) -> None:
    rooms = MemoryRoomStore()
    for partial in (
        {"store": MemoryStore([])},
        {"store": MemoryStore([]), "room_store": rooms},
        {"room_store": rooms, "account_store": MemoryAccountStore(rooms)},
    ):
        with pytest.raises(ValueError, match="give store, room_store and account_store"):
            bootstrap(Settings(data_dir=data_dir), NoHub(), **partial)  # type: ignore[arg-type]


async def test_generals_shared_page_is_what_a_read_would_give_as_things_happen(
    services: tuple[Services, MemoryStore, RecordingBus],
) -> None:
    # The opening every tab gets (services.general_page): shared, with posted messages merged
    # in, and read again after anything else; at every step it matches a read of its own.
    built, _store, _bus = services
    chat = built.chat

    async def matches_a_read() -> None:
        page, topic = await built.general_page.read()
        read = await chat.latest()
        assert [m.id for m in page.messages] == [m.id for m in read.messages]
        assert page.messages == read.messages
        assert page.has_older == read.has_older
        assert topic == await chat.topic()

    await matches_a_read()
    alice, _ = await chat.join("Alice", "tab-1")
    await matches_a_read()
    first = await chat.post(alice, "hello", rate_limited=False)
    await matches_a_read()
    await chat.actions.edit(alice, first.id, "hello, all")
    await matches_a_read()
    await chat.post(alice, "about cats", kind=MessageKind.TOPIC, rate_limited=False)
    await matches_a_read()
    for i in range(60):  # past a page: the oldest go, and older ones exist
        await chat.post(alice, f"message {i}", rate_limited=False)
        await matches_a_read()
