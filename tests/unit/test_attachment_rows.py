"""Files in the message list: what a row shows (thumbnails, chips), that rows stay shared and are
drawn anew before their thumbnail links expire, and a session's attach button and clicks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import flet as ft
import pytest

from flet_chat.bus.presence import LocalPresence
from flet_chat.core.accounts.models import (
    Account,
    AccountKind,
    Authenticated,
    Profile,
    Role,
    SessionKind,
)
from flet_chat.core.attachments import AttachmentService, LinkSigner, Upload
from flet_chat.core.limits import ROW_LINK_SECONDS
from flet_chat.core.models import Attachment, Message, MessageKind
from flet_chat.core.names import name_skeleton
from flet_chat.core.rate_limit import LocalRateLimiter, RateLimits
from flet_chat.core.service import ChatService
from flet_chat.ui import keys
from flet_chat.ui.clock import FALLBACK
from flet_chat.ui.controls.attachments import DOWNLOAD_FILE, OPEN_IMAGE
from flet_chat.ui.controls.chat_message import message_row
from flet_chat.ui.routing import RoutedEvent
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.session.attachments import AttachmentsSession
from flet_chat.ui.timeline import MessageEntry
from tests.unit.fakes import (
    MemoryBlobStore,
    MemoryRoomStore,
    MemoryStore,
    PrefixInspector,
    RecordingBus,
)
from tests.unit.session_fakes import FakeScreen, make_view
from tests.unit.test_message_rows import READER, by_key, routed, shown

PHOTO = Attachment("P" * 22, "beach.jpg", 300_000, "image/jpeg", has_thumbnail=True)
NOTES = Attachment("N" * 22, "notes.txt", 12 * 1024, "text/plain")


def with_files(text: str = "look", *files: Attachment) -> Message:
    return Message(
        7,
        MessageKind.CHAT,
        "Ann",
        text,
        datetime(2026, 1, 1, tzinfo=UTC),
        attachments=files or (PHOTO, NOTES),
    )


def thumbnail_of(attachment: Attachment) -> str | None:
    return f"/thumb/{attachment.id}" if attachment.has_thumbnail else None


def test_a_row_shows_thumbnails_and_file_chips() -> None:
    row = message_row(with_files(), thumbnails=thumbnail_of)
    tree = shown(row)
    assert READER.texts(tree)[-2:] == ["notes.txt", "12 KB"]
    image = by_key(tree, f"attachment-{PHOTO.id}")
    assert image is not None
    assert [c.get("src") for c in READER.walk(image) if c.get("src")] == ["/thumb/" + PHOTO.id]
    assert (OPEN_IMAGE, PHOTO.id) in routed(row)
    assert (DOWNLOAD_FILE, NOTES.id) in routed(row)
    # Screen readers hear the files with the message.
    assert row.label == "Ann, 00:00 UTC: look (2 files: beach.jpg, notes.txt)"  # type: ignore[attr-defined]


def test_without_links_an_image_is_a_chip_and_a_deleted_row_shows_no_files() -> None:
    row = message_row(with_files("", PHOTO))
    assert set(routed(row)) == {("message_menu", "7"), (DOWNLOAD_FILE, PHOTO.id)}
    gone = message_row(replace(with_files(), deleted=True, attachments=(), text=""))
    assert [r for r in routed(gone) if r[0] in (OPEN_IMAGE, DOWNLOAD_FILE)] == []


def test_a_continued_row_shows_its_files_too() -> None:
    row = message_row(with_files(), thumbnails=thumbnail_of, continued=True)
    assert {(OPEN_IMAGE, PHOTO.id), (DOWNLOAD_FILE, NOTES.id)} <= set(routed(row))


def test_rows_with_thumbnails_are_shared_until_their_links_near_expiry() -> None:
    now = [1_000_000.0]
    cache = RowCache(clock=lambda: now[0])
    cache.thumbnails = thumbnail_of
    entry = MessageEntry(with_files(), FALLBACK)
    first = cache.row(entry)
    assert cache.row(entry) is first  # one row for every session
    plain = MessageEntry(replace(with_files(), id=8, attachments=(NOTES,)), FALLBACK)
    plain_row = cache.row(plain)
    now[0] += ROW_LINK_SECONDS / 2 + 1
    assert cache.row(entry) is not first  # drawn anew: the old one's links run out soon
    assert cache.row(plain) is plain_row  # no thumbnail, no expiry


# -- a session's part -------------------------------------------------------------------------


class Setup:
    def __init__(self) -> None:
        store = MemoryStore([])
        self.blobs = MemoryBlobStore()
        self.chat = ChatService(
            store,
            RecordingBus([]),
            RateLimits(LocalRateLimiter()),
            LocalPresence(),
            MemoryRoomStore(claimed=(("Bob", name_skeleton("Bob")),)),
            blobs=self.blobs,
        )
        self.files = AttachmentService(
            self.chat, store, self.blobs, PrefixInspector(), LinkSigner("k" * 32), max_bytes=1000
        )
        self.screen = FakeScreen()
        self.view = make_view()
        self.uploads: list[list[ft.FilePickerUploadFile]] = []
        self.launched: list[str] = []
        self.me: str | None = "Carol"
        self.room = "general"
        account = Account(
            "Carol",
            AccountKind.MEMBER,
            Role.MEMBER,
            Profile(),
            True,
            datetime(2026, 1, 1, tzinfo=UTC),
        )
        self.auth: Authenticated | None = Authenticated(account, 5, SessionKind.BROWSER)

        def make_picker(on_result: Any, on_upload: Any) -> ft.FilePicker:
            picker = ft.FilePicker(on_result=on_result, on_upload=on_upload)

            async def upload(files: list[ft.FilePickerUploadFile]) -> None:
                self.uploads.append(files)

            picker.upload = upload  # type: ignore[method-assign]  # the browser's part
            return picker

        async def launch(url: str) -> None:
            self.launched.append(url)

        self.session = AttachmentsSession(
            files=self.files,
            tickets=SimpleNamespace(upload_ticket=lambda auth: f"ticket-{auth.session_id}"),
            auth=lambda: self.auth,
            me=lambda: self.me,
            room=lambda: self.room,
            view=self.view,
            screen=self.screen,
            make_picker=make_picker,
            launch=launch,
        )


@pytest.fixture
def setup() -> Setup:
    return Setup()


def picked(*files: tuple[str, int]) -> SimpleNamespace:
    return SimpleNamespace(
        files=[SimpleNamespace(id=i, name=n, size=s) for i, (n, s) in enumerate(files)]
    )


async def test_the_attach_button_opens_the_chooser_and_uploads_with_a_ticket(
    setup: Setup,
) -> None:
    action = setup.view.attach_button.action
    assert isinstance(action, ft.PickFiles)
    assert action.allow_multiple
    setup.room = "dm:3:annbob"
    await setup.session._picked(picked(("a b.txt", 10), ("c.png", 20)))
    [batch] = setup.uploads
    assert [f.id for f in batch] == [0, 1]
    url = urlsplit(batch[0].upload_url)
    assert url.path == "/api/uploads/files"
    assert dict(parse_qsl(url.query)) == {"t": "ticket-5", "room": "dm:3:annbob", "name": "a b.txt"}
    assert setup.view.message_input.helper == "Sending 2 files..."
    await setup.session._uploaded(SimpleNamespace(file_name="c.png", progress=1.0, error=None))
    assert setup.view.message_input.helper is None


async def test_what_cannot_be_sent_is_said_under_the_composer(setup: Setup) -> None:
    await setup.session._picked(picked())  # cancelled
    await setup.session._picked(picked(("big.iso", 1001)))
    assert setup.view.message_input.error == "big.iso is over 1000 B: it was not sent."
    await setup.session._picked(picked(*[("f", 1)] * 11))
    assert setup.view.message_input.error == "Choose at most 10 files at a time."
    refused = "Upload endpoint returned code 429: You are sending files too fast. Wait a moment."
    await setup.session._uploaded(SimpleNamespace(file_name="f", progress=None, error=refused))
    assert setup.view.message_input.error == "You are sending files too fast. Wait a moment."
    setup.auth = None
    await setup.session._picked(picked(("f", 1)))
    assert setup.view.message_input.error == "Join the chat first."
    assert setup.uploads == []


async def test_clicks_open_images_and_download_files_with_the_viewer_s_own_link(
    setup: Setup,
) -> None:
    sent = await setup.files.send(
        "Ann", "general", "", [Upload("p.png", b"IMG123"), Upload("n.txt", b"notes")]
    )
    image, notes = sent.attachments
    await setup.session.on_routed(RoutedEvent(OPEN_IMAGE, image.id, "click", None))
    [dialog] = setup.screen.dialogs
    assert isinstance(dialog, ft.AlertDialog)
    assert dialog.key == keys.IMAGE_DIALOG
    assert isinstance(dialog.content, ft.Image)
    src = str(dialog.content.src)
    assert src.startswith(f"/api/files/{image.id}?")
    assert dict(parse_qsl(urlsplit(src).query))["u"] == "Carol"
    await setup.session.on_routed(RoutedEvent(DOWNLOAD_FILE, notes.id, "click", None))
    [url] = setup.launched
    assert url.startswith(f"/api/files/{notes.id}?")
    assert "u=Carol" in url


async def test_a_click_on_someone_else_s_file_opens_nothing(setup: Setup) -> None:
    dm = await setup.chat.rooms.open_direct("Ann", "Bob")
    sent = await setup.files.send("Ann", dm.key, "", [Upload("s.txt", b"secret")])
    await setup.session.on_routed(RoutedEvent(DOWNLOAD_FILE, sent.attachments[0].id, "click", None))
    assert setup.launched == []
    [snack] = setup.screen.dialogs
    assert isinstance(snack, ft.SnackBar)
    assert isinstance(snack.content, ft.Text)
    assert snack.content.value == "There is no such file."
