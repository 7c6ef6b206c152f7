"""The Flet entry point: `build_main(runtime)` returns the `main(page)` Flet calls per session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from flet_chat.bootstrap import Runtime
from flet_chat.flet_compat import install_walk_once
from flet_chat.ui.frames import FrameClock
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.session import SessionController

FletMain = Callable[[ft.Page], Awaitable[None]]


def build_main(runtime: Runtime) -> FletMain:
    install_walk_once()
    rows = RowCache()  # one per process: every session shares the message rows
    frames = FrameClock()  # one per process: renders every session with news in one pass

    async def main(page: ft.Page) -> None:
        services = await runtime.start()  # in `serve` it has started already
        controller = SessionController(
            page,
            services,
            rows=rows,
            live_sessions=runtime.live_sessions,
            fanout=runtime.fanout,
            frames=frames,
        )
        await controller.start()

    return main
