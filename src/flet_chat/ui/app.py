"""The Flet entry point: `build_main(runtime)` returns the `main(page)` Flet calls per session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from flet_chat.bootstrap import Runtime
from flet_chat.flet_compat import install_walk_once
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.session import SessionController
from flet_chat.ui.views.member_list import MemberRowCache

FletMain = Callable[[ft.Page], Awaitable[None]]


def build_main(runtime: Runtime) -> FletMain:
    install_walk_once()
    rows = RowCache()  # one per process: every session shares the message rows
    member_rows = MemberRowCache()  # and the member list's rows

    async def main(page: ft.Page) -> None:
        # The hub is the one Flet made for this app; in `serve` the runtime already started with it.
        services = await runtime.start(page.session.connection.pubsubhub)
        controller = SessionController(
            page, services, rows=rows, member_rows=member_rows, live_sessions=runtime.live_sessions
        )
        await controller.start()

    return main
