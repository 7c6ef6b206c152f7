"""Attachments' media: a file's type from its content, and an image's thumbnail.

The type comes from the bytes (magic numbers, `filetype`), never from the name or what the client
claimed: a "photo.png" that is an HTML page is text/html here, and is only ever served as a
download. Text that is valid UTF-8 without NULs is text/plain (SVG included: it is never shown).

An image (PNG, JPEG, WebP or GIF, as decoded by Pillow, not as named) gets a thumbnail: the first
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
from PIL import Image

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


def make_thumbnail(data: bytes) -> tuple[str, bytes] | None:
    """The image's own type (as Pillow read it) and its thumbnail as WebP, or None for anything
    that is not an image this makes thumbnails of. Blocking: call it in a thread."""
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
            upright = _UPRIGHT.get(_exif_orientation(image))
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
    return kind, out.getvalue()


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
        work = asyncio.ensure_future(asyncio.to_thread(make_thumbnail, data))
        work.add_done_callback(lambda _done: slots.release())
        made = await asyncio.shield(work)
        if made is None:
            return Inspected(content_type)
        kind, thumbnail = made
        return Inspected(kind, thumbnail, THUMBNAIL_TYPE)


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
