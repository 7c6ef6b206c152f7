"""Attachments in the core: names, sizes, who may fetch a file, expiring links, deletion."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from flet_chat.bus.presence import LocalPresence
from flet_chat.core.attachments import (
    AttachmentService,
    FileTooLargeError,
    LinkMode,
    LinkRequest,
    LinkSigner,
    NoSuchFileError,
    Upload,
    blob_key,
    clean_file_name,
    is_attachment_id,
    size_text,
)
from flet_chat.core.errors import RateLimitedError, ValidationError
from flet_chat.core.events import MessagePosted
from flet_chat.core.limits import MAX_ATTACHMENTS_PER_MESSAGE, MAX_FILE_NAME_LENGTH
from flet_chat.core.message_actions import NotAllowedError
from flet_chat.core.names import name_skeleton
from flet_chat.core.rate_limit import Action, Budget, LocalRateLimiter, RateLimits, Rule, Scope
from flet_chat.core.rooms import NotAMemberError
from flet_chat.core.service import ChatService
from tests.unit.fakes import (
    MemoryBlobStore,
    MemoryRoomStore,
    MemoryStore,
    PrefixInspector,
    RecordingBus,
)

MAX_BYTES = 1000


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore([])


@pytest.fixture
def bus() -> RecordingBus:
    return RecordingBus([])


@pytest.fixture
def blobs() -> MemoryBlobStore:
    return MemoryBlobStore()


@pytest.fixture
def chat(store: MemoryStore, bus: RecordingBus, blobs: MemoryBlobStore) -> ChatService:
    people = MemoryRoomStore(claimed=(("Bob", name_skeleton("Bob")),))
    limits = RateLimits(
        LocalRateLimiter(),
        {
            Action.MESSAGE: (Rule(Scope.USER, Budget(100, 1.0)),),
            Action.UPLOAD: (Rule(Scope.USER, Budget(5, 0.0)),),
        },
    )
    return ChatService(store, bus, limits, LocalPresence(), people, blobs=blobs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def files(
    chat: ChatService, store: MemoryStore, blobs: MemoryBlobStore, clock: FakeClock
) -> AttachmentService:
    signer = LinkSigner("a server secret of some length", lifetime=60, clock=clock)
    return AttachmentService(chat, store, blobs, PrefixInspector(), signer, max_bytes=MAX_BYTES)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ann\\notes.txt", "notes.txt"),
        ("evil\u202egpj.exe", "evilgpj.exe"),  # a right-to-left override
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ("line\nbreak\r.txt", "linebreak.txt"),
        ("nul\x00.txt", "nul.txt"),
        ('a"b<c>d|e?.txt', "a_b_c_d_e_.txt"),
        ("   spaced    out .txt ", "spaced out .txt"),
        (".bashrc", "bashrc"),
        ("...", "file"),
        ("", "file"),
        ("/", "file"),
        ("\uff46\uff55\uff4c\uff4c.txt", "full.txt"),  # fullwidth letters are letters
    ],
)
def test_file_names_are_cleaned(raw: str, clean: str) -> None:
    assert clean_file_name(raw) == clean


def test_long_names_keep_their_extension() -> None:
    name = clean_file_name("x" * 500 + ".tar.gz")
    assert len(name) == MAX_FILE_NAME_LENGTH
    assert name.endswith("x.gz")
    assert len(clean_file_name("y" * 500)) == MAX_FILE_NAME_LENGTH


def test_blob_keys_are_only_made_from_server_ids() -> None:
    with pytest.raises(ValueError, match="not an attachment id"):
        blob_key("../secret_key")
    with pytest.raises(ValueError, match="not an attachment id"):
        blob_key("a" * 21 + "/")
    assert blob_key("a" * 22, thumbnail=True) == "a" * 22 + ".thumb"


def test_sizes_read_as_people_write_them() -> None:
    sizes = (512, 12 * 1024, 3_565_158, 10 * 1024 * 1024)
    assert [size_text(n) for n in sizes] == ["512 B", "12 KB", "3.4 MB", "10 MB"]


async def test_a_message_carries_files_and_optional_text(
    files: AttachmentService, bus: RecordingBus, blobs: MemoryBlobStore
) -> None:
    message = await files.send(
        "Ann", "general", "", [Upload("../photo.png", b"IMG" + b"x" * 10), Upload("a.bin", b"1")]
    )
    assert message.text == ""
    photo, other = message.attachments
    assert (photo.name, photo.size, photo.content_type, photo.has_thumbnail) == (
        "photo.png",
        13,
        "image/png",
        True,
    )
    assert (other.name, other.content_type, other.has_thumbnail) == (
        "a.bin",
        "application/octet-stream",
        False,
    )
    assert is_attachment_id(photo.id)
    assert photo.id != other.id
    assert bus.events == [MessagePosted(message)]
    assert sorted(blobs.blobs) == sorted([photo.id, photo.id + ".thumb", other.id])
    with_text = await files.send("Ann", "general", " look ", [Upload("b.bin", b"2")])
    assert with_text.text == "look"


async def test_bad_uploads_are_refused_before_anything_is_stored(
    files: AttachmentService, chat: ChatService, store: MemoryStore, blobs: MemoryBlobStore
) -> None:
    with pytest.raises(FileTooLargeError, match="at most 1000 B"):
        await files.send("Ann", "general", "", [Upload("big", b"x" * (MAX_BYTES + 1))])
    with pytest.raises(ValidationError, match="Choose a file"):
        await files.send("Ann", "general", "hi", [])
    uploads = [Upload("f", b"1")] * (MAX_ATTACHMENTS_PER_MESSAGE + 1)
    with pytest.raises(ValidationError, match="at most"):
        await files.send("Ann", "general", "", uploads)
    with pytest.raises(ValidationError, match="empty"):
        await files.send("Ann", "general", "", [Upload("f", b"")])
    with pytest.raises(ValidationError, match="control characters"):
        await files.send("Ann", "general", "bad \x07", [Upload("f", b"1")])
    await chat.rooms.create("Bob", "bobs-room")
    with pytest.raises(NotAMemberError):
        await files.send("Ann", "bobs-room", "", [Upload("f", b"1")])
    assert store.messages == []
    assert blobs.blobs == {}


async def test_uploads_have_a_budget_of_their_own(files: AttachmentService) -> None:
    for _ in range(5):
        await files.send("Ann", "general", "", [Upload("f", b"1")])
    with pytest.raises(RateLimitedError, match="sending files too fast"):
        await files.send("Ann", "general", "", [Upload("f", b"1")])


async def test_a_failed_commit_deletes_the_stored_blobs(
    files: AttachmentService, store: MemoryStore, blobs: MemoryBlobStore
) -> None:
    store.fail_next = True
    with pytest.raises(ConnectionError):
        await files.send("Ann", "general", "", [Upload("p.png", b"IMG1"), Upload("f", b"1")])
    assert blobs.blobs == {}


async def test_only_readers_of_the_room_fetch_a_file(
    files: AttachmentService, chat: ChatService
) -> None:
    public = await files.send("Ann", "general", "", [Upload("p.png", b"IMG1234")])
    photo = public.attachments[0]
    assert (await files.fetch("Bob", photo.id))[1] == b"IMG1234"
    assert (await files.fetch("Bob", photo.id, thumbnail=True))[1].startswith(b"THUMB")
    dm = await chat.rooms.open_direct("Ann", "Bob")
    secret = (await files.send("Ann", dm.key, "", [Upload("s.txt", b"secret")])).attachments[0]
    assert (await files.fetch("bob", secret.id))[1] == b"secret"
    for reader, attachment_id in [
        ("Carol", secret.id),  # someone else's direct conversation
        (None, photo.id),  # nobody signed in
        ("Bob", "A" * 22),  # an id never handed out
        ("Bob", "../../secret_key"),
        ("Bob", secret.id + "x"),
    ]:
        with pytest.raises(NoSuchFileError, match="no such file"):
            await files.fetch(reader, attachment_id)
    with pytest.raises(NoSuchFileError):
        await files.fetch("Bob", secret.id, thumbnail=True)  # not an image: no thumbnail


async def test_deleting_the_message_deletes_its_files(
    files: AttachmentService, chat: ChatService, blobs: MemoryBlobStore
) -> None:
    kept = await files.send("Ann", "general", "", [Upload("k.bin", b"keep")])
    message = await files.send("Ann", "general", "bye", [Upload("p.png", b"IMG1")])
    photo = message.attachments[0]
    with pytest.raises(NotAllowedError):
        await chat.actions.delete("Bob", message.id)  # not his
    assert (await files.fetch("Ann", photo.id))[1] == b"IMG1"
    deleted = await chat.actions.delete("Ann", message.id)
    assert deleted.attachments == ()
    assert sorted(blobs.blobs) == [kept.attachments[0].id]
    with pytest.raises(NoSuchFileError):
        await files.fetch("Ann", photo.id)


def _link(url: str) -> LinkRequest:
    path, _, query = url.partition("?")
    params = dict(parse_qsl(query))
    parts = path.removeprefix("/api/files/").split("/")
    return LinkRequest(
        parts[0],
        len(parts) > 1 and parts[1] == "thumbnail",
        params.get("exp"),
        params.get("sig"),
        params.get("u"),
    )


def test_links_expire_and_open_only_what_they_were_made_for(clock: FakeClock) -> None:
    signer = LinkSigner("a server secret of some length", lifetime=60, clock=clock)
    file_id = "B" * 22
    link = _link(signer.url(file_id, LinkMode.BEARER))
    assert signer.check(link, LinkMode.BEARER)
    assert not signer.check(link, LinkMode.WEB)  # a bearer link needs the token
    thumb = _link(signer.url(file_id, LinkMode.BEARER, thumbnail=True))
    assert signer.check(thumb, LinkMode.BEARER)
    # A signature for the thumbnail does not open the file, nor one file another.
    assert not signer.check(
        LinkRequest(file_id, False, thumb.expires, thumb.signature), LinkMode.BEARER
    )
    assert not signer.check(
        LinkRequest("C" * 22, False, link.expires, link.signature), LinkMode.BEARER
    )
    # A later expiry with the old signature is a forgery.
    later = str(int(link.expires or 0) + 3600)
    assert not signer.check(LinkRequest(file_id, False, later, link.signature), LinkMode.BEARER)
    other_server = LinkSigner("another server's secret", lifetime=60, clock=clock)
    assert not other_server.check(link, LinkMode.BEARER)
    for expires, signature in [(None, link.signature), (link.expires, None), ("-1", "x")]:
        assert not signer.check(LinkRequest(file_id, False, expires, signature), LinkMode.BEARER)
    clock.now += 61
    assert not signer.check(link, LinkMode.BEARER)


def test_a_web_link_is_its_viewer_s_alone(clock: FakeClock) -> None:
    signer = LinkSigner("a server secret of some length", lifetime=60, clock=clock)
    url = signer.url("D" * 22, LinkMode.WEB, "Ann Lee")
    assert url.startswith("/api/files/DDDDDDDDDDDDDDDDDDDDDD?")
    link = _link(url)
    assert link.viewer == "Ann Lee"
    assert signer.check(link, LinkMode.WEB)
    assert not signer.check(link, LinkMode.BEARER)
    for someone_else in ["Bob", "ann lee", "", None]:
        forged = LinkRequest(link.attachment_id, False, link.expires, link.signature, someone_else)
        assert not signer.check(forged, LinkMode.WEB)
    clock.now += 61
    assert not signer.check(link, LinkMode.WEB)
