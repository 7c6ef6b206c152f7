"""The Flet entry point: `build_main(runtime)` returns the `main(page)` Flet calls per session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from flet_chat.bootstrap import Runtime
from flet_chat.ui.session import SessionController

FletMain = Callable[[ft.Page], Awaitable[None]]


def build_main(runtime: Runtime) -> FletMain:
    async def main(page: ft.Page) -> None:
        # The hub is the one Flet made for this app; in `serve` the runtime already started with it.
        services = await runtime.start(page.session.connection.pubsubhub)
        await SessionController(page, services, runtime.live_sessions).start()

    return main
