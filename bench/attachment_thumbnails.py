"""Time of what an image attachment costs the server (flet_chat/media/files.py `prepare_image`:
the thumbnail of at most 1,024 px and the original without its metadata), for a 12-megapixel
(4032x3024) picture in each format a thumbnail is made from.

    .venv/bin/python -m bench.attachment_thumbnails          # 5 runs of each, the median

The pictures are made here (the same photo-like image as bench.avatar_reencode), so anyone can
re-run it without sample files.
"""

from __future__ import annotations

import io
import statistics
import time

from bench.avatar_reencode import photo_like
from flet_chat.media.files import prepare_image

RUNS = 5


def main() -> None:
    picture = photo_like(4032, 3024)
    for fmt, options in (("JPEG", {"quality": 90}), ("PNG", {}), ("WEBP", {"quality": 85})):
        out = io.BytesIO()
        picture.save(out, format=fmt, **options)
        data = out.getvalue()
        times, made = [], None
        for _ in range(RUNS):
            start = time.perf_counter()
            made = prepare_image(data)
            times.append(time.perf_counter() - start)
        assert made is not None
        print(
            f"{fmt:4} 4032x3024 {len(data) / 1e6:5.1f} MB: thumbnail {len(made[1]) / 1e3:4.0f} KB,"
            f" {statistics.median(times) * 1000:4.0f} ms (median of {RUNS})"
        )


if __name__ == "__main__":
    main()
