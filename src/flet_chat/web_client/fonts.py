"""Serves the web client's fallback fonts from our own origin.

With `FLET_WEB_NO_CDN` Flet points the Flutter engine at `assets/fonts/` for the Noto fonts it
falls back to when a character is missing from Roboto (emoji, CJK, Arabic, ...). The engine asks
for one file (or one slice of a big font) only when text on screen needs it, at
`/assets/fonts/<family>/v<N>/<file>.woff2`, Google Fonts' own paths. `fetch_fonts.py` lays those
files out in `settings.fonts_dir`; this route serves them. Only that exact shape is accepted,
one checked segment at a time, so no request can name a file outside the directory."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import Response
from fastapi.responses import FileResponse, PlainTextResponse

logger = logging.getLogger(__name__)

ROUTE = "/assets/fonts/{family}/{version}/{name}"
FAMILY = re.compile(r"[a-z0-9]{1,64}")
VERSION = re.compile(r"v[0-9]{1,4}")
NAME = re.compile(r"[A-Za-z0-9_-]{1,200}(\.[0-9]{1,4})?\.woff2")
# The paths carry the font's version, so a file never changes under its name.
CACHE_FOREVER = "public, max-age=31536000, immutable"


def build_font_route(fonts_dir: Path) -> Callable[[str, str, str], Awaitable[Response]]:
    """The route's handler. The directory is listed once, at start: a request is answered
    from that list (no file system look-up for a name we do not have)."""
    root = fonts_dir.resolve()
    available = frozenset(
        path.relative_to(root).as_posix() for path in root.glob("*/v*/*.woff2") if path.is_file()
    )
    if not available:
        logger.warning(
            "no fallback fonts in %s: emoji and most scripts will show as boxes"
            " (scripts/setup or `python -m flet_chat.web_client.fetch_fonts` fetches them)",
            root,
        )

    async def get_font(family: str, version: str, name: str) -> Response:
        if not (FAMILY.fullmatch(family) and VERSION.fullmatch(version) and NAME.fullmatch(name)):
            return PlainTextResponse("Not Found", status_code=404)
        relative = f"{family}/{version}/{name}"
        if relative not in available:  # a family we do not bundle: boxes, as without fonts
            return PlainTextResponse("Not Found", status_code=404)
        return FileResponse(
            root / relative, media_type="font/woff2", headers={"Cache-Control": CACHE_FOREVER}
        )

    return get_font
