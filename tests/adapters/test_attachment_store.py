"""Attachment records in the SQL store (migration 0010), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flet_chat.bus.fanout import Fanout
from flet_chat.bus.local import LocalBus
from flet_chat.bus.presence import LocalPresence
from flet_chat.core.attachments import AttachmentService, LinkSigner, NoSuchFileError, Upload
from flet_chat.core.models import Attachment, MessageKind, NewMessage
from flet_chat.core.rate_limit import LocalRateLimiter, RateLimits
from flet_chat.core.service import ChatService
from flet_chat.media.files import FileInspector
from flet_chat.storage.blobs import LocalBlobStore
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import upgrade_to_head_async
from flet_chat.storage.room_store import SqlRoomStore
from flet_chat.storage.sql_store import SqlStore

PHOTO = Attachment("P" * 22, "photo.png", 1234, "image/png", has_thumbnail=True)
NOTES = Attachment("N" * 22, "notes.txt", 10, "text/plain")


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    yield SqlStore(engine)
    await engine.dispose()


async def test_a_message_keeps_its_attachments_in_order(store: SqlStore) -> None:
    added = await store.add(NewMessage(MessageKind.CHAT, "Ann", "", attachments=(PHOTO, NOTES)))
    assert added.attachments == (PHOTO, NOTES)
    plain = await store.add(NewMessage(MessageKind.CHAT, "Ann", "no files"))
    page = await store.latest("general", 10)
    assert [m.attachments for m in page.messages] == [(PHOTO, NOTES), ()]
    assert (await store.get(added.id)) == added
    assert [m.attachments for m in await store.after(0, 10)] == [(PHOTO, NOTES), ()]
    found = await store.attachment(NOTES.id)
    assert found is not None
    assert found[0] == NOTES
    assert found[1].id == added.id
    assert (await store.get(plain.id)) is not None
    for missing in ["Z" * 22, "", "x" * 1000, "' OR 1=1 --"]:
        assert await store.attachment(missing) is None


async def test_deleting_the_message_deletes_its_attachment_records(store: SqlStore) -> None:
    added = await store.add(NewMessage(MessageKind.CHAT, "Ann", "hi", attachments=(PHOTO,)))
    deleted = await store.delete(added.id)
    assert deleted.deleted
    assert deleted.attachments == ()
    assert await store.attachment(PHOTO.id) is None


async def test_sending_and_deleting_files_end_to_end(database_url: str, tmp_path: Path) -> None:
    """The attachment service on the real store and a real directory: the file's bytes are
    there while the message is, and gone with it."""
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    sql = SqlStore(engine)
    blobs = LocalBlobStore(tmp_path / "files")
    chat = ChatService(
        sql,
        LocalBus(Fanout()),
        RateLimits(LocalRateLimiter()),
        LocalPresence(),
        SqlRoomStore(engine, sql),
        blobs=blobs,
    )
    files = AttachmentService(chat, sql, blobs, FileInspector(), LinkSigner("s" * 32))
    try:
        message = await files.send("Ann", "general", "see", [Upload("a.txt", b"hello there")])
        [attachment] = message.attachments
        assert attachment.content_type == "text/plain"
        assert (await files.fetch("Bob", attachment.id))[1] == b"hello there"
        await chat.actions.delete("Ann", message.id)
        with pytest.raises(NoSuchFileError):
            await files.fetch("Ann", attachment.id)
        assert await blobs.get(attachment.id) is None
    finally:
        await engine.dispose()
