"""Attachments' media: a file's type from its content, and an image's thumbnail.

The type comes from the bytes (magic numbers, `filetype`), never from the name or what the client
claimed: a "photo.png" that is an HTML page is text/html here, and is only ever served as a
download. Text that is valid UTF-8 without NULs is text/plain (SVG included: it is never shown).

An image (PNG, JPEG, WebP or GIF, as decoded by Pillow, not as named) is kept without its
metadata (`strip_metadata`: EXIF with a photo's GPS position, XMP, IPTC, text chunks; the
pixels untouched, a JPEG's orientation kept) and gets a thumbnail: the first
frame, upright, at most THUMBNAIL_MAX_PX a side (never enlarged), re-encoded as WebP from the bare
pixels, so no EXIF (a photo's GPS position), ICC profile or XMP comes along. An image whose
header declares more than MAX_IMAGE_PIXELS, or that would cost more memory to decode than
THUMBNAIL_DECODE_BUDGET, or that Pillow cannot read, gets none: it is a file like any other.
Decoding runs in a thread, THUMBNAIL_WORKERS at a time per process.
"""

from __future__ import annotations

import asyncio
import io
import logging
import weakref

import filetype
from PIL import ExifTags, Image

from flet_chat.core.limits import MAX_IMAGE_PIXELS, THUMBNAIL_MAX_PX
from flet_chat.core.ports import Inspected
from flet_chat.media.avatars import (
    _UPRIGHT,
    _bytes_per_pixel,
    _declared_size,
    _exif_orientation,
    _resizable,
)

logger = logging.getLogger(__name__)

OCTET_STREAM = "application/octet-stream"
THUMBNAIL_TYPE = "image/webp"
# What Pillow may decode a thumbnail from (by its own reading of the bytes).
IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
THUMBNAIL_DECODE_BUDGET = 400 * 1024 * 1024
THUMBNAIL_WORKERS = 2
WEBP_QUALITY = 80
WEBP_METHOD = 4
_TEXT_SNIFF_BYTES = 64 * 1024


def sniff(data: bytes) -> str:
    """The content's type from its bytes; application/octet-stream when nothing matches."""
    kind = filetype.guess_mime(data)
    if isinstance(kind, str) and kind:
        return kind
    head = data[:_TEXT_SNIFF_BYTES]
    if b"\x00" in head:
        return OCTET_STREAM
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the sniffing boundary is still text.
        if error.start < len(head) - 4:
            return OCTET_STREAM
    return "text/plain"


def strip_metadata(data: bytes, kind: str, orientation: int = 1) -> bytes:
    """The image without the metadata that says where and with what it was taken (EXIF, XMP,
    IPTC, text chunks), its pixels untouched: the full size others fetch. A JPEG keeps its
    orientation in an EXIF block of its own, so it still shows upright. Anything not understood
    here is returned as it was (the thumbnail is metadata-free either way)."""
    try:
        if kind == "image/jpeg":
            return _strip_jpeg(data, orientation)
        if kind == "image/png":
            return _strip_png(data)
        if kind == "image/webp":
            return _strip_webp(data)
    except (IndexError, ValueError):
        pass
    return data


# JPEG segments kept: APP0 (JFIF), APP2 (ICC profile), APP14 (Adobe colour transform); every
# other APPn (EXIF and XMP are APP1, IPTC APP13) and comments go.
_JPEG_KEPT_APPS = frozenset({0xE0, 0xE2, 0xEE})


def _strip_jpeg(data: bytes, orientation: int) -> bytes:
    if data[:2] != b"\xff\xd8":
        return data
    out = bytearray(data[:2])
    if orientation != 1:
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = orientation
        block = exif.tobytes()  # "Exif\0\0" and the TIFF block with the orientation alone
        out += b"\xff\xe1" + (len(block) + 2).to_bytes(2, "big") + block
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return data  # not a segment where one should be: leave the file alone
        marker = data[at + 1]
        if marker == 0xFF:
            at += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is image data
            out += data[at:]
            return bytes(out)
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        segment = data[at : at + 2 + length]
        if len(segment) < 2 + length or length < 2:
            return data
        drop = (0xE0 <= marker <= 0xEF and marker not in _JPEG_KEPT_APPS) or marker == 0xFE
        if not drop:
            out += segment
        at += 2 + length
    return data


_PNG_DROPPED = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"})


def _strip_png(data: bytes) -> bytes:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return data
    out = bytearray(data[:8])
    at = 8
    while at + 12 <= len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if end > len(data):
            return data
        if kind not in _PNG_DROPPED:
            out += data[at:end]
        at = end
        if kind == b"IEND":
            return bytes(out)
    return data


def _strip_webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return data
    chunks = bytearray()
    at = 12
    while at + 8 <= len(data):
        kind = data[at : at + 4]
        length = int.from_bytes(data[at + 4 : at + 8], "little")
        end = at + 8 + length + (length & 1)
        if at + 8 + length > len(data):
            return data
        chunk = bytearray(data[at:end])
        if kind == b"VP8X" and length >= 10:
            chunk[8] &= ~0x0C & 0xFF  # the EXIF (0x08) and XMP (0x04) flags
        if kind not in (b"EXIF", b"XMP "):
            chunks += chunk
        at = end
    return b"RIFF" + (len(chunks) + 4).to_bytes(4, "little") + b"WEBP" + bytes(chunks)


def make_thumbnail(data: bytes) -> tuple[str, bytes] | None:
    """The image's own type (as Pillow read it) and its thumbnail as WebP, or None for anything
    that is not an image this makes thumbnails of. Blocking: call it in a thread."""
    made = _thumbnail(data)
    return None if made is None else (made[0], made[1])


def prepare_image(data: bytes) -> tuple[str, bytes, bytes] | None:
    """The image's type, its thumbnail and the image without its metadata (what is kept and
    served as the full size); None for anything that is not such an image. Blocking."""
    made = _thumbnail(data)
    if made is None:
        return None
    kind, thumbnail, orientation = made
    return kind, thumbnail, strip_metadata(data, kind, orientation)


def _thumbnail(data: bytes) -> tuple[str, bytes, int] | None:
    declared = _declared_size(data)
    if declared is not None and declared[0] * declared[1] > MAX_IMAGE_PIXELS:
        return None
    try:
        with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
            kind = IMAGE_FORMATS[image.format or ""]
            width, height = image.size
            cost = width * height * max(_bytes_per_pixel(image), 4)
            if width < 1 or height < 1 or width * height > MAX_IMAGE_PIXELS:
                return None
            if cost > THUMBNAIL_DECODE_BUDGET:
                return None
            if image.format == "JPEG":
                image.draft("RGB", (THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX))
            image.load()  # the first frame only
            orientation = _exif_orientation(image)
            upright = _UPRIGHT.get(orientation)
            pixels = _resizable(image)
            pixels.thumbnail((THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX), Image.Resampling.LANCZOS)
    except Exception as error:  # not an image, truncated, a bomb, a feature Pillow refuses
        logger.debug("no thumbnail: %s", type(error).__name__)
        return None
    small = pixels.convert("RGBA" if pixels.has_transparency_data else "RGB")
    if upright is not None:
        small = small.transpose(upright)
    # A new image from the bare pixels: no metadata can come along.
    clean = Image.frombytes(small.mode, small.size, small.tobytes())
    out = io.BytesIO()
    clean.save(out, format="WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return kind, out.getvalue(), orientation


class FileInspector:
    """The core's MediaInspector: the sniffed type, and a thumbnail made in a thread."""

    async def inspect(self, data: bytes) -> Inspected:
        content_type = sniff(data)
        if content_type not in IMAGE_FORMATS.values():
            return Inspected(content_type)
        slots = _slots()
        await slots.acquire()
        # A thread cannot be stopped, so the turn ends when the thread does, not when the caller
        # stops waiting (no third decode starts beside one still running).
        work = asyncio.ensure_future(asyncio.to_thread(prepare_image, data))
        work.add_done_callback(lambda _done: slots.release())
        made = await asyncio.shield(work)
        if made is None:
            return Inspected(content_type)
        kind, thumbnail, cleaned = made
        return Inspected(kind, thumbnail, THUMBNAIL_TYPE, cleaned)


# One semaphore per event loop (an asyncio semaphore belongs to the loop that first waits on it).
_loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slots = _loops.get(loop)
    if slots is None:
        slots = _loops[loop] = asyncio.Semaphore(THUMBNAIL_WORKERS)
    return slots
