"""The web client's index.html as we serve it: Flet's own (which FletStaticFiles copies into a
temporary directory and fills in at the first request), then changed by small functions, each
taking the HTML and returning it changed, so that each addition stays in a module of its own.

The patches run once per process, before the first response, in a thread (file I/O)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from flet_web.fastapi import FletStaticFiles
from starlette.responses import Response
from starlette.types import Scope

from flet_chat.web.connection_banner import add_connection_banner

IndexPatch = Callable[[str], str]

INDEX_PATCHES: tuple[IndexPatch, ...] = (add_connection_banner,)


def patch_index(html: str, patches: Sequence[IndexPatch] = INDEX_PATCHES) -> str:
    for patch in patches:
        html = patch(html)
    return html


class ChatStaticFiles(FletStaticFiles):  # type: ignore[misc]
    """Flet's static web client, with our patches applied to its index.html."""

    def __init__(self, *, index_patches: Sequence[IndexPatch] = INDEX_PATCHES, **kwargs: Any):
        super().__init__(**kwargs)
        self._index_patches = tuple(index_patches)
        self._index_patched = False
        self._patching = asyncio.Lock()

    async def get_response(self, path: str, scope: Scope) -> Response:
        # Called after FletStaticFiles has made its copy (self.directory is that directory).
        if not self._index_patched:
            async with self._patching:
                if not self._index_patched:
                    await asyncio.to_thread(self._patch_index_file)
                    self._index_patched = True
        response: Response = await super().get_response(path, scope)
        return response

    def _patch_index_file(self) -> None:
        index = Path(str(self.directory)) / "index.html"
        html = patch_index(index.read_text(encoding="utf-8"), self._index_patches)
        index.write_text(html, encoding="utf-8")
