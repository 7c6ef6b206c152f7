"""The Flet entry point: `build_main(runtime)` returns the `main(page)` Flet calls per session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from flet_chat.bootstrap import Runtime
from flet_chat.flet_compat import install_walk_once
from flet_chat.ui.session.controller import SessionController
from flet_chat.ui.shared import ProcessShared

FletMain = Callable[[ft.Page], Awaitable[None]]


def build_main(runtime: Runtime) -> FletMain:
    install_walk_once()
    shared = ProcessShared(runtime)

    async def main(page: ft.Page) -> None:
        services = await runtime.start()  # in `serve` it has started already
        shared.use_profiles(services.profile_cache)
        await SessionController(page, services, shared).start()

    return main
