"""Attachments' media (flet_chat/media/files.py): types from content, thumbnails of real images."""

from __future__ import annotations

import io
import zlib

from PIL import ExifTags, Image, PngImagePlugin

from flet_chat.core.limits import THUMBNAIL_MAX_PX
from flet_chat.media.files import (
    FileInspector,
    make_thumbnail,
    prepare_image,
    sniff,
    strip_metadata,
)
from tests.unit.test_avatars import handmade_png


def saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def photo_with_gps(size: tuple[int, int] = (2000, 1500)) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    exif[ExifTags.Base.Orientation] = 6  # shown turned a quarter clockwise
    exif[ExifTags.Base.GPSInfo] = {2: (51.0, 30.0, 0.0)}
    return saved(Image.new("RGB", size, (200, 10, 10)), "JPEG", exif=exif)


def test_the_type_comes_from_the_content_not_the_name() -> None:
    assert sniff(saved(Image.new("RGB", (4, 4)), "PNG")) == "image/png"
    assert sniff(photo_with_gps((8, 8))) == "image/jpeg"
    assert sniff(b"%PDF-1.7\n...") == "application/pdf"
    assert sniff(b"PK\x03\x04" + b"\x00" * 40) == "application/zip"
    assert sniff("plain words, ünïcode\n".encode()) == "text/plain"
    assert sniff(b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>') == (
        "text/plain"
    )
    assert sniff(b"\x00\x01\x02binary") == "application/octet-stream"
    assert sniff(b"\xff\xfe\xfd not utf-8") == "application/octet-stream"


def test_a_photo_s_thumbnail_is_small_upright_and_has_no_exif() -> None:
    made = make_thumbnail(photo_with_gps())
    assert made is not None
    kind, thumbnail = made
    assert kind == "image/jpeg"
    with Image.open(io.BytesIO(thumbnail)) as small:
        assert small.format == "WEBP"
        # 2000x1500 turned upright is 1500x2000: fitted into 1024 on its long side.
        assert small.size == (768, THUMBNAIL_MAX_PX)
        assert dict(small.getexif()) == {}
        assert "exif" not in small.info
        assert "icc_profile" not in small.info
        assert small.convert("RGB").getpixel((384, 512))[0] > 150  # still red


def test_small_images_are_not_enlarged_and_keep_transparency() -> None:
    made = make_thumbnail(saved(Image.new("RGBA", (40, 20), (0, 0, 255, 0)), "PNG"))
    assert made is not None
    with Image.open(io.BytesIO(made[1])) as small:
        assert small.size == (40, 20)
        assert small.mode == "RGBA"
    gif = make_thumbnail(saved(Image.new("P", (30, 30)), "GIF"))
    assert gif is not None
    assert gif[0] == "image/gif"


def test_what_is_not_a_readable_image_gets_no_thumbnail() -> None:
    png = saved(Image.new("RGB", (64, 64)), "PNG")
    assert make_thumbnail(png[: len(png) // 2]) is None  # truncated
    assert make_thumbnail(b"<html><script>alert(1)</script></html>") is None
    assert make_thumbnail(saved(Image.new("RGB", (8, 8)), "BMP")) is None  # not a format we take


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    # 100,000 x 100,000 pixels declared in a few hundred bytes.
    rows = zlib.compress(b"\x00" * 1000)
    bomb = handmade_png(100_000, 100_000, 8, 0, rows)
    assert len(bomb) < 2000
    assert make_thumbnail(bomb) is None


async def test_the_inspector_returns_the_sniffed_type_and_the_thumbnail() -> None:
    inspector = FileInspector()
    image = await inspector.inspect(photo_with_gps((300, 200)))
    assert image.content_type == "image/jpeg"
    assert image.thumbnail is not None
    assert image.thumbnail_type == "image/webp"
    assert image.data is not None
    assert b"Phone" not in image.data  # kept without its metadata
    text = await inspector.inspect(b"just some notes")
    assert (text.content_type, text.thumbnail) == ("text/plain", None)
    # Named and declared as a picture, but HTML: a file, never an image.
    fake = await inspector.inspect(b"\x89PNG\r\n\x1a\n<html>not really</html>")
    assert fake.thumbnail is None


def test_the_kept_photo_has_no_gps_and_still_shows_upright() -> None:
    original = photo_with_gps((64, 32))
    assert b"Phone" in original
    made = prepare_image(original)
    assert made is not None
    kind, _thumbnail, kept = made
    assert kind == "image/jpeg"
    assert b"Phone" not in kept
    with Image.open(io.BytesIO(kept)) as image:
        exif = image.getexif()
        assert dict(exif) == {ExifTags.Base.Orientation: 6}
        assert ExifTags.IFD.GPSInfo not in exif
        assert image.size == (64, 32)  # the same pixels (turned on screen by the orientation)
        image.load()
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(kept)) as after:
        assert before.tobytes() == after.tobytes()  # not re-encoded


def test_png_and_webp_text_and_exif_are_dropped_and_the_pixels_kept() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken at home, 12 Secret Street")
    picture = Image.new("RGBA", (20, 10), (1, 2, 3, 4))
    png = saved(picture, "PNG", pnginfo=info, exif=exif)
    webp = saved(picture, "WEBP", lossless=True, exif=exif, xmp=b"<x:xmpmeta>Secret</x:xmpmeta>")
    for data in (png, webp):
        made = prepare_image(data)
        assert made is not None
        kept = made[2]
        assert b"Secret" not in kept
        assert b"PhoneMaker" not in kept
        with Image.open(io.BytesIO(kept)) as image:
            assert image.tobytes() == picture.tobytes()
            assert dict(image.getexif()) == {}


def test_what_is_not_understood_is_kept_as_it_was() -> None:
    assert strip_metadata(b"\xff\xd8\x00 junk", "image/jpeg") == b"\xff\xd8\x00 junk"
    assert strip_metadata(b"\x89PNG\r\n\x1a\n\x00", "image/png") == b"\x89PNG\r\n\x1a\n\x00"
    assert strip_metadata(b"GIF89a...", "image/gif") == b"GIF89a..."
