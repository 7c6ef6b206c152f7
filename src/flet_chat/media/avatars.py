"""Avatars: what a user uploads is decoded and re-encoded to a 128x128 WebP, never passed on.

Uploaded bytes are hostile until proven otherwise. A "PNG" may be an SVG or an HTML page (served
back to others, it would run script), carry EXIF with the GPS position of someone's home, declare
50000x50000 pixels in a few hundred bytes (a decompression bomb) or hide another file after its
end (a polyglot). Re-encoding keeps only pixels: others receive a small WebP this server wrote.

Pillow decodes in C and fails with many exception types (OSError, SyntaxError, ValueError,
EOFError, struct.error, DecompressionBombError, ...). Each becomes an AvatarRejectedError whose
text is for the user, so a caller catches one thing. Decoding is CPU and memory heavy: the server
calls `reencode_avatar_async`, which runs it in a thread behind a small bound.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
import weakref
from dataclasses import dataclass, field

from PIL import ExifTags, Image, UnidentifiedImageError

from flet_chat.core.errors import ChatError, ValidationError

logger = logging.getLogger(__name__)

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_SIZE = 128
# Refused from the declared size, before any pixel is decoded (Pillow's own limit, 89 million
# pixels, warns and lets through up to twice that).
AVATAR_MAX_SIDE = 10_000
AVATAR_MAX_PIXELS = 40_000_000
# Peak memory one decode may take, estimated from the declared size and the format's measured
# cost per pixel (_bytes_per_pixel; `python -m bench.avatar_reencode --memory` re-measures it).
# WebP is the dearest at 17 bytes a pixel: this budget still takes a 12-megapixel (4032x3024)
# phone photo in every format, and AVATAR_WORKERS decodes at once stay near 400 MB.
AVATAR_DECODE_BUDGET = 200 * 1024 * 1024
# Decodes at once (each a thread, up to a core and AVATAR_DECODE_BUDGET of memory), and callers
# that may wait for one; past that an upload is refused at once rather than held in memory.
AVATAR_WORKERS = 2
AVATAR_MAX_WAITING = 8

# What Pillow decodes the bytes as decides: never a file name or a claimed MIME type.
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
# WebP output: quality 80 (Pillow's default) and method 4 (libwebp's): on a 128x128 photo about
# 3% smaller than method 2 and 3% larger than method 6, a few milliseconds from either
# (`python -m bench.avatar_reencode` prints all four).
WEBP_QUALITY = 80
WEBP_METHOD = 4

CHOOSE_AN_IMAGE = "Choose a PNG, JPEG or WebP image up to 2 MB."
UNREADABLE = "That image could not be read."
TOO_MANY_PIXELS = "That image is too large. Choose one of 12 megapixels or fewer."
BUSY = "Too many pictures are being processed right now. Try again in a moment."

# EXIF orientation -> the transpose that shows the picture upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SIXTEEN_BIT_GREY = frozenset({"I;16", "I;16B", "I;16L", "I;16N"})
# JPEG start-of-frame markers (they carry the size); C4, C8 and CC are other segments.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class AvatarRejectedError(ValidationError):
    """The upload is not a picture this server takes; `str(error)` tells the user why."""


class AvatarBusyError(ChatError):
    """Too many uploads are being processed; nothing is wrong with this one."""


def reencode_avatar(data: bytes) -> bytes:
    """The picture in `data` as a 128x128 WebP with no metadata; AvatarRejectedError otherwise.

    Blocking (a decode takes tens of milliseconds to a second of CPU): call it in a thread, as
    `reencode_avatar_async` does.
    """
    _check_length(data)
    declared = _declared_size(data)
    if declared is not None:
        _check_dimensions(*declared)
    try:
        square = _decode_to_square(data)
    except AvatarRejectedError:
        raise
    except Image.DecompressionBombError as error:  # behind our own limits; kept in case
        raise AvatarRejectedError(TOO_MANY_PIXELS) from error
    except UnidentifiedImageError as error:  # not PNG, JPEG or WebP (GIF, SVG, HTML, ...)
        raise AvatarRejectedError(CHOOSE_AN_IMAGE) from error
    except Exception as error:  # truncated, corrupt, or a format feature Pillow refuses
        logger.debug("avatar refused: %s", type(error).__name__)
        raise AvatarRejectedError(UNREADABLE) from error
    # Not under the catch-all: encoding 128x128 pixels fails only if this server is broken,
    # which must not read as the user's fault.
    return _encode(square)


async def reencode_avatar_async(data: bytes) -> bytes:
    """`reencode_avatar` in a thread, at most AVATAR_WORKERS at once.

    AvatarBusyError when AVATAR_MAX_WAITING callers are already waiting for a turn.
    """
    _check_length(data)  # what is refused anyway does not take a turn
    gate = _gate()
    if gate.slots.locked() and gate.waiting >= AVATAR_MAX_WAITING:
        raise AvatarBusyError(BUSY)
    gate.waiting += 1
    try:
        await gate.slots.acquire()
    finally:
        gate.waiting -= 1
    # A thread cannot be stopped, so the turn ends when the thread does, not when the caller
    # stops waiting: a caller who goes away (a closed tab) must not let a third decode start
    # beside one that is still running.
    work = asyncio.ensure_future(asyncio.to_thread(reencode_avatar, data))
    work.add_done_callback(functools.partial(_end_turn, gate.slots))
    return await asyncio.shield(work)


def _check_length(data: bytes) -> None:
    if not data or len(data) > AVATAR_MAX_BYTES:
        raise AvatarRejectedError(CHOOSE_AN_IMAGE)


def _check_dimensions(width: int, height: int, bytes_per_pixel: int = 0) -> None:
    if width < 1 or height < 1:
        raise AvatarRejectedError(UNREADABLE)
    pixels = width * height
    if (
        max(width, height) > AVATAR_MAX_SIDE
        or pixels > AVATAR_MAX_PIXELS
        or pixels * bytes_per_pixel > AVATAR_DECODE_BUDGET
    ):
        raise AvatarRejectedError(TOO_MANY_PIXELS)


def _decode_to_square(data: bytes) -> Image.Image:
    """The centre square of the first frame, AVATAR_SIZE pixels a side, upright, RGB or RGBA."""
    with Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS)) as image:
        # Opening reads only the headers; this check comes before any pixel is decoded.
        _check_dimensions(*image.size, bytes_per_pixel=_bytes_per_pixel(image))
        if image.format in ("JPEG", "MPO"):
            # libjpeg scales by 1/2, 1/4 or 1/8 while decoding, down to no less than 128 a side:
            # a 12-megapixel photo decodes as 0.2 megapixels, in a tenth of the time.
            image.draft("RGB", (AVATAR_SIZE, AVATAR_SIZE))
        image.load()  # the first frame only, for animated PNG and WebP
        upright = _UPRIGHT.get(_exif_orientation(image))
        pixels = _resizable(image)
        # The centre square of the stored picture is the centre square of the upright one, so
        # cropping and resizing come first and only 128x128 pixels are turned.
        side = min(pixels.size)
        left, top = (pixels.width - side) // 2, (pixels.height - side) // 2
        square = pixels.resize(
            (AVATAR_SIZE, AVATAR_SIZE),
            Image.Resampling.LANCZOS,
            box=(left, top, left + side, top + side),
            reducing_gap=3.0,  # box-reduce first, then Lanczos: as sharp, several times faster
        )
    square = square.convert("RGBA" if square.has_transparency_data else "RGB")
    return square.transpose(upright) if upright is not None else square


def _bytes_per_pixel(image: Image.Image) -> int:
    """Peak memory of decoding one source pixel (Pillow 13, measured by the bench script)."""
    if image.format == "WEBP":
        return 17  # libwebp's two RGBA canvases and Pillow's RGBA copy: 16.7 measured
    if image.format in ("JPEG", "MPO"):
        # Drafted baseline JPEGs decode a few rows at a time (0.6 measured); a progressive one
        # keeps every DCT coefficient of the full-size picture (2 bytes a sample, 4:4:4 at
        # worst) until its last scan: 6.2 measured for RGB, 8.2 for CMYK.
        return 2 * len(image.getbands()) + 1 if image.info.get("progressive") else 1
    # PNG: decoded pixels (1 to 4 bytes), an RGBA conversion for a palette, and resize()'s
    # premultiplied copy of anything with alpha: 9.2 measured for a palette with transparency.
    return 10


def _exif_orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ExifTags.Base.Orientation)
    except Exception:  # a malformed EXIF block must not refuse an otherwise good photo
        return 1
    return value if isinstance(value, int) else 1


def _resizable(image: Image.Image) -> Image.Image:
    """The picture in a mode resize() handles with all its colours and transparency.

    Grey and grey + alpha stay as they are (a full-size RGB copy would cost 4 bytes a pixel
    more); they become RGB or RGBA once they are 128x128.
    """
    if image.mode in _SIXTEEN_BIT_GREY:
        # convert() would clip 16-bit grey at 255 (a white square); scale it to 8 bits instead.
        # A 16-bit tRNS colour cannot be kept through the scaling, so it is dropped.
        image = image.point(lambda value: value / 256, "L")
        image.info.pop("transparency", None)
    if image.mode in ("L", "LA", "RGB", "RGBA") and "transparency" not in image.info:
        return image
    # Palette, 1-bit, CMYK, or a tRNS colour (transparency outside an alpha channel).
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def _encode(square: Image.Image) -> bytes:
    # A new image from the bare pixels: no EXIF, ICC profile, XMP or other info can come along.
    clean = Image.frombytes(square.mode, square.size, square.tobytes())
    out = io.BytesIO()
    clean.save(out, format="WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return out.getvalue()


def _declared_size(data: bytes) -> tuple[int, int] | None:
    """The size the header claims, read without Pillow, or None when it is not found here.

    Refusing a bomb before Pillow opens it keeps Pillow's DecompressionBombWarning (two lines on
    stderr per distinct size an attacker sends) out of the log. The size Pillow reads is
    checked again after opening, so a header this misreads cannot slip past.
    """
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[8:16] == b"\x00\x00\x00\x0dIHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_canvas(data)
    if data[:2] == b"\xff\xd8":
        return _jpeg_frame(data)
    return None


def _webp_canvas(data: bytes) -> tuple[int, int] | None:
    # The first chunk after "WEBP" (the layout Pillow's WebPImagePlugin._get_size reads).
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        return width, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        return width, int.from_bytes(data[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_frame(data: bytes) -> tuple[int, int] | None:
    """The largest start-of-frame size among the segments before the first scan."""
    largest: tuple[int, int] | None = None
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header follows
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in _JPEG_SOF and length >= 8 and at + 9 <= len(data):
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            width = int.from_bytes(data[at + 7 : at + 9], "big")
            if largest is None or width * height > largest[0] * largest[1]:
                largest = (width, height)
        at += 2 + length
    return largest


@dataclass
class _Gate:
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(AVATAR_WORKERS))
    waiting: int = 0


# One gate per event loop: an asyncio semaphore belongs to the first loop that waits on it. The
# server runs one loop per process, so there this is the process-wide bound; tests run many.
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Gate] = weakref.WeakKeyDictionary()


def _gate() -> _Gate:
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = _Gate()
    return gate


def _end_turn(slots: asyncio.Semaphore, work: asyncio.Future[bytes]) -> None:
    slots.release()
    if not work.cancelled():
        work.exception()  # read, so a refusal nobody waits for any more is not logged as lost
