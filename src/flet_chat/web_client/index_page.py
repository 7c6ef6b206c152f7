"""Our changes to the Flet web client's index.html, applied once to the copy Flet has already
patched (title, base href, `flet.*` config) before it is first served.

Each change is an `IndexPatch`: a name and a function of the page's text. A patch whose anchor
is missing raises, so a Flet upgrade that changes index.html fails at the first request (and in
tests/unit/test_web_client.py), never silently. To change the page, add a patch to
`INDEX_PATCHES`."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flet_web.fastapi import FletStaticFiles

from flet_chat.web_client.connection_banner import add_connection_banner

THEME_COLOR = "#3F51B5"  # ft.Colors.INDIGO, ui/theme.py's seed; also in assets/manifest.json
APPLE_TOUCH_ICON = "icons/flet-chat-192.png"
RIVE_STUB_ROUTE = "/web-client/rive-native-unavailable.js"
# The Rive plugin inside the Flet client loads its runtime from this CDN at start, whatever
# `no_cdn` says. The chat draws no Rive animation: the script below, run before the client,
# sends that one script request to our own stub instead, which reports Rive as unavailable.
RIVE_CDN = "https://cdn.jsdelivr.net/npm/@rive-app/flutter-native-wasm@"
RIVE_REDIRECT = f"""<script>
(() => {{
  const src = Object.getOwnPropertyDescriptor(HTMLScriptElement.prototype, "src");
  Object.defineProperty(HTMLScriptElement.prototype, "src", {{
    ...src,
    set(value) {{
      const local = String(value).startsWith("{RIVE_CDN}");
      src.set.call(this, local ? "{RIVE_STUB_ROUTE.lstrip("/")}" : value);
    }},
  }});
}})();
</script>"""
# Rive's loader awaits `RiveNative()`; a rejection makes it carry on without Rive.
RIVE_STUB_JS = (
    "window.RiveNative = () => Promise.reject(new Error('Rive is not bundled with Flet Chat'));\n"
)


@dataclass(frozen=True)
class IndexPatch:
    name: str
    apply: Callable[[str], str]


def replace_once(anchor: str, replacement: str) -> Callable[[str], str]:
    def apply(page: str) -> str:
        if page.count(anchor) != 1:
            raise ValueError(f"index.html: expected {anchor!r} once")
        return page.replace(anchor, replacement)

    return apply


def before_head_end(html: str) -> Callable[[str], str]:
    return replace_once("</head>", f"{html}\n</head>")


INDEX_PATCHES: tuple[IndexPatch, ...] = (
    IndexPatch("rive runtime from our origin", before_head_end(RIVE_REDIRECT)),
    IndexPatch(
        "theme colour", before_head_end(f'<meta name="theme-color" content="{THEME_COLOR}">')
    ),
    IndexPatch(
        "apple touch icon",
        replace_once('href="icons/apple-touch-icon-192.png"', f'href="{APPLE_TOUCH_ICON}"'),
    ),
    IndexPatch("connection banner", add_connection_banner),
)


def apply_index_patches(page: str, patches: Sequence[IndexPatch] = INDEX_PATCHES) -> str:
    for patch in patches:
        try:
            page = patch.apply(page)
        except ValueError as error:
            raise ValueError(f"index patch {patch.name!r}: {error}") from error
    return page


class PatchedFletStaticFiles(FletStaticFiles):  # type: ignore[misc]
    """Flet's static files, with `INDEX_PATCHES` applied to the index page Flet prepared.
    Flet writes that page on the first request; `lookup_path` runs after it, in a worker
    thread (Starlette's), so the one-time rewrite never blocks the event loop."""

    def __init__(self, *, index_patches: Sequence[IndexPatch] = INDEX_PATCHES, **kwargs: object):
        super().__init__(**kwargs)
        self._index_patches = tuple(index_patches)
        self._index_lock = threading.Lock()
        self._index_patched = False

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if not self._index_patched:
            with self._index_lock:
                if not self._index_patched:
                    index = Path(str(self.directory)) / "index.html"
                    index.write_text(
                        apply_index_patches(index.read_text(encoding="utf-8"), self._index_patches),
                        encoding="utf-8",
                    )
                    self._index_patched = True
        full_path, stat_result = super().lookup_path(path)
        return str(full_path), stat_result
