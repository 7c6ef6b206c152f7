"""Time (and optionally memory) of re-encoding an uploaded avatar (flet_chat/media/avatars.py).

    .venv/bin/python -m bench.avatar_reencode            # a 2 MB 3000x2000 photo, 20 runs
    .venv/bin/python -m bench.avatar_reencode --memory   # peak memory per source pixel, by format

The photo is made here (gradients, shapes and sensor-like noise, saved as a baseline JPEG at the
highest quality that stays within 2 MB), so anyone can re-run it without a sample file. The
memory figures are what `_bytes_per_pixel` in avatars.py is based on; each case runs in a fresh
process so its peak RSS is its own (read from /proc: Linux only).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time

from PIL import Image, ImageDraw, ImageFilter

from flet_chat.media.avatars import AVATAR_MAX_BYTES, reencode_avatar


def photo_like(width: int, height: int, seed: int = 7) -> Image.Image:
    """A picture JPEG cannot squeeze much: smooth gradients, soft shapes and noise."""
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    blue = red.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    picture = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(picture)
    step = max(1, min(width, height) // 12)
    for i in range(40):
        x, y = (i * 7919 * seed) % width, (i * 104729 + seed) % height
        colour = ((i * 53) % 256, (i * 97) % 256, (i * 31) % 256)
        draw.ellipse((x, y, x + step * (1 + i % 3), y + step), fill=colour)
    picture = picture.filter(ImageFilter.GaussianBlur(3))
    noise = Image.effect_noise((width, height), 24).convert("RGB")
    return Image.blend(picture, noise, 0.18)


def jpeg_within(picture: Image.Image, limit: int, **options: object) -> tuple[bytes, int]:
    """The largest JPEG of `picture` that is at most `limit` bytes, and its quality."""
    best: tuple[bytes, int] | None = None
    low, high = 5, 95
    while low <= high:
        quality = (low + high) // 2
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=quality, **options)
        if out.tell() <= limit:
            best, low = (out.getvalue(), quality), quality + 1
        else:
            high = quality - 1
    if best is None:
        raise SystemExit("even quality 5 is over the limit; use a smaller picture")
    return best


def webp_methods(picture: Image.Image, runs: int) -> None:
    """What libwebp's `method` (0 fast .. 6 small) buys on a 128x128 avatar at quality 80."""
    square = picture.crop((500, 0, 2500, 2000)).resize((128, 128), Image.Resampling.LANCZOS)
    for method in (0, 2, 4, 6):
        times, size = [], 0
        for _ in range(runs):
            out = io.BytesIO()
            start = time.perf_counter()
            square.save(out, "WEBP", quality=80, method=method)
            times.append((time.perf_counter() - start) * 1000)
            size = out.tell()
        print(f"WebP method {method}: {size:,} bytes, median {statistics.median(times):.2f} ms")


def timing(runs: int) -> None:
    picture = photo_like(3000, 2000)
    webp_methods(picture, runs)
    for label, options in (("baseline", {}), ("progressive", {"progressive": True})):
        data, quality = jpeg_within(picture, AVATAR_MAX_BYTES, **options)
        reencode_avatar(data)  # warm-up: plugin imports, libjpeg and libwebp set-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            out = reencode_avatar(data)
            times.append((time.perf_counter() - start) * 1000)
        print(
            f"3000x2000 {label} JPEG, {len(data):,} bytes (quality {quality}) -> "
            f"{len(out):,} bytes of WebP: median {statistics.median(times):.1f} ms, "
            f"min {min(times):.1f}, max {max(times):.1f} ({runs} runs, one thread)"
        )


# Each case: format, mode, Pillow save options; the picture is 4000x3000 (12 megapixels).
MEMORY_CASES: list[tuple[str, str, dict[str, object]]] = [
    ("JPEG", "RGB", {"quality": 90}),
    ("JPEG", "RGB", {"quality": 90, "progressive": True}),
    ("JPEG", "RGB", {"quality": 90, "progressive": True, "subsampling": 0}),
    ("JPEG", "CMYK", {"quality": 90, "progressive": True}),
    ("PNG", "RGB", {}),
    ("PNG", "RGBA", {}),
    ("PNG", "P", {"transparency": 0}),
    ("PNG", "LA", {}),
    ("PNG", "I;16", {}),
    ("WEBP", "RGB", {"quality": 50}),
    ("WEBP", "RGBA", {"quality": 50}),
]

# The decode and encode steps of reencode_avatar, without its 2 MB check: what a pixel costs does
# not depend on how well the file compresses, and a 12-megapixel PNG is seldom under 2 MB.
# Peak RSS is Linux's VmHWM: getrusage's ru_maxrss would carry this parent's peak across exec.
_MEASURE = """
import sys
from flet_chat.media import avatars
def peak_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
data = open(sys.argv[1], "rb").read()
before = peak_kib()
avatars._encode(avatars._decode_to_square(data))
print(peak_kib() - before)
"""


def memory(width: int = 4000, height: int = 3000) -> None:
    base = photo_like(width, height)
    # A half-transparent picture, so that RGBA and palette cases keep their alpha.
    alpha = Image.linear_gradient("L").resize((width, height))
    for fmt, mode, options in MEMORY_CASES:
        if mode in ("RGBA", "LA"):
            picture = base.convert(mode[0:-1])
            picture.putalpha(alpha)
        elif mode == "I;16":
            picture = base.convert("L").convert("I;16")
        else:
            picture = base.convert(mode)
        out = io.BytesIO()
        picture.save(out, fmt, **options)
        with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as file:
            file.write(out.getvalue())
        try:
            result = subprocess.run(
                [sys.executable, "-c", _MEASURE, file.name],
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            os.unlink(file.name)
        peak_kib = int(result.stdout.strip())
        extra = " progressive" if options.get("progressive") else ""
        extra += " 4:4:4" if options.get("subsampling") == 0 else ""
        print(
            f"{fmt} {mode}{extra}, {width}x{height}, {out.tell():,} bytes: "
            f"peak +{peak_kib / 1024:.0f} MB, "
            f"{peak_kib * 1024 / (width * height):.1f} bytes per source pixel"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--memory", action="store_true", help="peak memory per format instead")
    args = parser.parse_args()
    if args.memory:
        memory()
    else:
        timing(args.runs)


if __name__ == "__main__":
    main()
