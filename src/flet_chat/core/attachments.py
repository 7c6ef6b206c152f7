"""Attachments: files sent with a message, and who may fetch them.

A message with files is made like any other (ChatService.post), with `attachments`: the files'
bytes are inspected (the type sniffed from the content, a thumbnail for images: a
`MediaInspector`, media/) and written to the `BlobStore` first, then the message is committed
with their records; a refused or failed commit deletes the blobs again. Deleting the message
deletes its blobs (MessageActions.delete).

Who may fetch a file: whoever may read its message's room, as history decides (any public room's
readers, a direct conversation's two people and nobody else), while the message is not deleted.
Anyone else hears that no such file exists, exactly as for an id that was never handed out.

Links expire: a URL carries its expiry and an HMAC of (file, variant, expiry, mode, viewer) with
a key derived from the server's secret. A "bearer" link also needs a token in `Authorization`
(API clients), which says who is asking: it is the same for every reader (so one event can carry
it to all of them) and opens nothing alone. A "web" link is for the browser UI, which has no
such header: it names its viewer, stands for them alone until it expires, and the viewer must
still be able to read the room when it is used. A "row" link opens a thumbnail only: message rows
are built once per process and shared by every session showing the room (ui/row_cache.py), so
the thumbnail they show cannot name a viewer; it reaches only sessions that may read the room,
lasts ROW_LINK_SECONDS, and the row cache draws a row anew before its links run out.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import re
import secrets
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from flet_chat.core.errors import ChatError, ValidationError
from flet_chat.core.limits import (
    ATTACHMENT_LINK_SECONDS,
    DEFAULT_MAX_UPLOAD_BYTES,
    MAX_ATTACHMENTS_PER_MESSAGE,
    MAX_FILE_NAME_LENGTH,
    ROW_LINK_SECONDS,
)
from flet_chat.core.models import Attachment, Message
from flet_chat.core.ports import BlobStore, MediaInspector, MessageStore
from flet_chat.core.rate_limit import Action, Origin
from flet_chat.core.rooms import UnknownRoomError
from flet_chat.core.validation import clean_message_text, clean_user_name

if TYPE_CHECKING:
    from flet_chat.core.service import ChatService

logger = logging.getLogger(__name__)

FILES_PATH = "/api/files/"
NO_SUCH_FILE = "There is no such file."
NO_FILES = "Choose a file to send."
TOO_MANY_FILES = f"Send at most {MAX_ATTACHMENTS_PER_MESSAGE} files in one message."
EMPTY_FILE = "That file is empty."

# Server-made ids: 16 random bytes, URL-safe base64 without padding. Nothing else names a blob.
_ID = re.compile(r"[A-Za-z0-9_-]{22}")
# Characters a file name may not hold: controls, format characters (bidi overrides, zero-width),
# separators of lines, surrogates, private use and unassigned code points.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# Characters that mean something to a file system or a shell on some machine a download lands on.
_REPLACED = frozenset('<>:"|?*;')
_MAX_EXTENSION = 16
DEFAULT_FILE_NAME = "file"


class FileTooLargeError(ValidationError):
    """A file over the size limit (the HTTP API answers 413)."""


class NoSuchFileError(ChatError):
    """No file by that id that this reader may fetch (never, or not theirs, or deleted)."""


def new_attachment_id() -> str:
    return secrets.token_urlsafe(16)


def is_attachment_id(value: str) -> bool:
    return _ID.fullmatch(value) is not None


def blob_key(attachment_id: str, *, thumbnail: bool = False) -> str:
    """The blob's key in the store: only ever made from a server-made id."""
    if not is_attachment_id(attachment_id):
        raise ValueError("not an attachment id")
    return f"{attachment_id}.thumb" if thumbnail else attachment_id


def clean_file_name(raw: str) -> str:
    """The name a file is shown and downloaded under: its last path part only (no "../", no
    "C:\\"), NFKC, nothing invisible or text-direction-changing (a right-to-left override turns
    "txt.exe" around), no characters a file system reserves, one space for any run of them, no
    leading dots, and at most MAX_FILE_NAME_LENGTH characters with the extension kept."""
    name = unicodedata.normalize("NFKC", raw)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        "_" if ch in _REPLACED else ch
        for ch in name
        if unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    name = " ".join(name.split()).lstrip(". ").rstrip(". ")
    if not name:
        return DEFAULT_FILE_NAME
    if len(name) > MAX_FILE_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and 0 < len(extension) <= _MAX_EXTENSION:
            keep = MAX_FILE_NAME_LENGTH - len(extension) - 1
            name = f"{stem[:keep].rstrip('. ')}.{extension}"
        else:
            name = name[:MAX_FILE_NAME_LENGTH].rstrip(". ")
    return name or DEFAULT_FILE_NAME


def size_text(size: int) -> str:
    """ "512 B", "12 KB", "3.4 MB"."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as a client sent it: the name it gave (cleaned here) and its bytes."""

    name: str
    data: bytes


class LinkMode(enum.StrEnum):
    BEARER = "bearer"  # the viewer's token must come with it (API clients)
    WEB = "web"  # the link alone, for one viewer's browser (full size, downloads)
    ROW = "row"  # a thumbnail in a message row, which every session of the room shares


@dataclass(frozen=True, slots=True)
class LinkRequest:
    """What a GET of a file's URL carries, as the HTTP layer read it."""

    attachment_id: str
    thumbnail: bool
    expires: str | None
    signature: str | None
    viewer: str | None = None  # a web link's `u`


class LinkSigner:
    """Signs and checks expiring download links with a key only the servers know."""

    def __init__(
        self,
        secret: str,
        *,
        lifetime: int = ATTACHMENT_LINK_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # A key of its own, derived from the server's: a link's MAC is no identity token's.
        self._key = hmac.new(secret.encode(), b"flet-chat attachment links", "sha256").digest()
        self._lifetime = lifetime
        self._clock = clock

    def _mac(
        self, attachment_id: str, thumbnail: bool, viewer: str, expires: int, mode: LinkMode
    ) -> str:
        variant = "thumb" if thumbnail else "file"
        payload = "\n".join((attachment_id, variant, viewer, str(expires), mode.value))
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    def url(
        self,
        attachment_id: str,
        mode: LinkMode,
        viewer: str | None = None,
        *,
        thumbnail: bool = False,
    ) -> str:
        """A link to the file (or its thumbnail); a web link for `viewer` alone."""
        lifetime = ROW_LINK_SECONDS if mode is LinkMode.ROW else self._lifetime
        expires = int(self._clock()) + lifetime
        query = {"exp": str(expires)}
        signed_for = ""
        if mode is LinkMode.WEB:
            if not viewer:
                raise ValueError("a web link is made for a viewer")
            query["u"] = signed_for = viewer
        query["sig"] = self._mac(attachment_id, thumbnail, signed_for, expires, mode)
        path = FILES_PATH + quote(attachment_id) + ("/thumbnail" if thumbnail else "")
        return f"{path}?{urlencode(query)}"

    def check(self, link: LinkRequest, mode: LinkMode) -> bool:
        """Whether the link was made in `mode` (a web link: for its `viewer`) and has not
        expired."""
        if link.expires is None or link.signature is None or not link.expires.isdigit():
            return False
        if len(link.expires) > 12:  # far beyond any time a link was made for
            return False
        if mode is LinkMode.ROW and not link.thumbnail:
            return False  # rows hold thumbnails only
        expires = int(link.expires)
        if expires < self._clock():
            return False
        viewer = ""
        if mode is LinkMode.WEB:
            if not link.viewer:
                return False
            viewer = link.viewer
        expected = self._mac(link.attachment_id, link.thumbnail, viewer, expires, mode)
        return hmac.compare_digest(expected.encode(), link.signature.encode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class AttachmentLinks:
    url: str
    thumbnail_url: str | None


class AttachmentService:
    """Sending files with a message and fetching them back (see the module's text)."""

    def __init__(
        self,
        chat: ChatService,
        store: MessageStore,
        blobs: BlobStore,
        inspector: MediaInspector,
        signer: LinkSigner,
        *,
        max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    ) -> None:
        self._chat = chat
        self._store = store
        self._blobs = blobs
        self._inspector = inspector
        self.signer = signer
        self.max_bytes = max_bytes

    def too_large(self) -> FileTooLargeError:
        return FileTooLargeError(f"Files can be at most {size_text(self.max_bytes)}.")

    async def send(
        self,
        user_name: str,
        room: str,
        raw_text: str,
        uploads: Sequence[Upload],
        *,
        origin: Origin | None = None,
    ) -> Message:
        """Store the files and post them, with `raw_text` if it is not blank, in `room`."""
        name = clean_user_name(user_name)
        # A member, not muted there, the room not archived: refused before any file is kept.
        key = (await self._chat.rooms.writable(name, room)).key
        if not uploads:
            raise ValidationError(NO_FILES)
        if len(uploads) > MAX_ATTACHMENTS_PER_MESSAGE:
            raise ValidationError(TOO_MANY_FILES)
        for upload in uploads:
            if len(upload.data) > self.max_bytes:
                raise self.too_large()
            if not upload.data:
                raise ValidationError(EMPTY_FILE)
        if raw_text.strip():
            clean_message_text(raw_text)  # refused before any work is done
        await self._chat.limits.spend(Action.UPLOAD, name, origin)
        stored: list[Attachment] = []
        try:
            for upload in uploads:
                stored.append(await self._keep(upload))
            return await self._chat.post(
                name, raw_text, room=key, origin=origin, attachments=tuple(stored)
            )
        except BaseException:
            await self.forget(stored)
            raise

    async def _keep(self, upload: Upload) -> Attachment:
        inspected = await self._inspector.inspect(upload.data)
        data = inspected.data if inspected.data is not None else upload.data
        attachment = Attachment(
            new_attachment_id(),
            clean_file_name(upload.name),
            len(data),
            inspected.content_type,
            has_thumbnail=inspected.thumbnail is not None,
        )
        await self._blobs.put(blob_key(attachment.id), data, inspected.content_type)
        if inspected.thumbnail is not None:
            key = blob_key(attachment.id, thumbnail=True)
            await self._blobs.put(key, inspected.thumbnail, inspected.thumbnail_type)
        return attachment

    async def forget(self, attachments: Sequence[Attachment]) -> None:
        await forget_blobs(self._blobs, attachments)

    async def readable(self, reader: str | None, attachment_id: str) -> Attachment:
        """The attachment if `reader` may fetch it; NoSuchFileError otherwise."""
        if reader is None or not is_attachment_id(attachment_id):
            raise NoSuchFileError(NO_SUCH_FILE)
        found = await self._store.attachment(attachment_id)
        if found is None:
            raise NoSuchFileError(NO_SUCH_FILE)
        attachment, message = found
        if message.deleted:
            raise NoSuchFileError(NO_SUCH_FILE)
        try:
            await self._chat.rooms.readable(reader, message.room)
        except UnknownRoomError:
            # Someone else's direct message: the answer a made-up id gets.
            raise NoSuchFileError(NO_SUCH_FILE) from None
        return attachment

    async def fetch(
        self, reader: str | None, attachment_id: str, *, thumbnail: bool = False
    ) -> tuple[Attachment, bytes]:
        """The attachment and its bytes (or its thumbnail's) for a reader who may have them."""
        attachment = await self.readable(reader, attachment_id)
        if thumbnail and not attachment.has_thumbnail:
            raise NoSuchFileError(NO_SUCH_FILE)
        data = await self._blobs.get(blob_key(attachment.id, thumbnail=thumbnail))
        if data is None:
            raise NoSuchFileError(NO_SUCH_FILE)
        return attachment, data

    def row_thumbnail(self, attachment: Attachment) -> str | None:
        """The thumbnail's link for a shared message row (see the module's text)."""
        if not attachment.has_thumbnail:
            return None
        return self.signer.url(attachment.id, LinkMode.ROW, thumbnail=True)

    async def fetch_row_thumbnail(self, attachment_id: str) -> tuple[Attachment, bytes]:
        """A thumbnail by a row link (checked by the caller): while its message exists."""
        if not is_attachment_id(attachment_id):
            raise NoSuchFileError(NO_SUCH_FILE)
        found = await self._store.attachment(attachment_id)
        if found is None or found[1].deleted or not found[0].has_thumbnail:
            raise NoSuchFileError(NO_SUCH_FILE)
        data = await self._blobs.get(blob_key(attachment_id, thumbnail=True))
        if data is None:
            raise NoSuchFileError(NO_SUCH_FILE)
        return found[0], data

    def api_links(self, attachment: Attachment) -> AttachmentLinks:
        """Links for API clients (each GET needs the client's bearer token)."""
        return self._links(attachment, LinkMode.BEARER, None)

    def web_links(self, attachment: Attachment, viewer: str) -> AttachmentLinks:
        """Links for `viewer`'s browser, which sends no token."""
        return self._links(attachment, LinkMode.WEB, viewer)

    def _links(self, attachment: Attachment, mode: LinkMode, viewer: str | None) -> AttachmentLinks:
        thumbnail = (
            self.signer.url(attachment.id, mode, viewer, thumbnail=True)
            if attachment.has_thumbnail
            else None
        )
        return AttachmentLinks(self.signer.url(attachment.id, mode, viewer), thumbnail)


async def forget_blobs(blobs: BlobStore, attachments: Sequence[Attachment]) -> None:
    """Delete the files' blobs (their message is gone or was never stored)."""
    for attachment in attachments:
        try:
            await blobs.delete(blob_key(attachment.id))
            if attachment.has_thumbnail:
                await blobs.delete(blob_key(attachment.id, thumbnail=True))
        except Exception:
            # The message is gone either way; a blob left behind is never served (no record
            # names it any more).
            logger.exception("could not delete the blob of attachment %s", attachment.id)
