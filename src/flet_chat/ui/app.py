"""The Flet entry point: `build_main(runtime)` returns the `main(page)` Flet calls per session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from flet_chat.bootstrap import Runtime
from flet_chat.flet_compat import pack_control
from flet_chat.flet_patches import install_flet_patches
from flet_chat.ui.controls.chat_message import sample_row
from flet_chat.ui.session.controller import SessionController
from flet_chat.ui.shared import ProcessShared

FletMain = Callable[[ft.Page], Awaitable[None]]


def build_main(runtime: Runtime) -> FletMain:
    install_flet_patches()
    # What the first message row of the process loads (the Markdown parser and its link
    # finder, Flet's icon and row classes: about 1.7 MB) is loaded now, at start, instead of
    # while the first visitor waits; it is the process's, not any session's.
    pack_control(sample_row())
    shared = ProcessShared(runtime)

    async def main(page: ft.Page) -> None:
        services = await runtime.start()  # in `serve` it has started already
        shared.use_profiles(services.profile_cache)
        await SessionController(page, services, shared).start()

    return main
