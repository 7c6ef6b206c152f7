"""The served index.html, patched by us: `PatchedFletStaticFiles` is Flet's static file server
for the web client with a list of patches (`str -> str`) applied once to the index.html Flet
prepared, before any request gets it. Each patch is a small function in its own module
(web_clock.py: the viewer's time zone), so patches stay independent of one another.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from flet_web.fastapi import FletStaticFiles

logger = logging.getLogger(__name__)

IndexPatch = Callable[[str], str]


class PatchedFletStaticFiles(FletStaticFiles):  # type: ignore[misc]
    def __init__(self, *args: Any, index_patches: Sequence[IndexPatch] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._index_patches = tuple(index_patches)
        self._patched = False
        self._patching = threading.Lock()

    def lookup_path(self, path: str) -> tuple[str, Any]:
        # Starlette calls this in a worker thread for every request, after Flet has written its
        # index.html into `self.directory`: the first call patches it, before anything is served.
        if not self._patched:
            with self._patching:
                if not self._patched:
                    patch_index(Path(str(self.directory)) / "index.html", self._index_patches)
                    self._patched = True
        found: tuple[str, Any] = super().lookup_path(path)
        return found


def patch_index(index: Path, patches: Sequence[IndexPatch]) -> None:
    html = index.read_text(encoding="utf-8")
    for patch in patches:
        html = patch(html)
    index.write_text(html, encoding="utf-8")
