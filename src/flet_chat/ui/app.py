"""The Flet entry point: `build_main(runtime)` returns the `main(page)` Flet calls per session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from flet_chat.bootstrap import Runtime
from flet_chat.flet_compat import (
    install_event_type_cache,
    install_fast_dataclass_check,
    install_fast_ids,
    install_identity_equal_pages,
    install_late_call_answers,
    install_lean_events,
    install_lean_validation,
    install_param_count_cache,
    install_send_queue,
    install_shared_empty_snapshots,
    install_walk_once,
    pack_control,
)
from flet_chat.lean_inits import install_lean_inits
from flet_chat.ui.controls.chat_message import sample_row
from flet_chat.ui.session.controller import SessionController
from flet_chat.ui.shared import ProcessShared

FletMain = Callable[[ft.Page], Awaitable[None]]


def build_main(runtime: Runtime) -> FletMain:
    install_walk_once()
    install_lean_validation()
    install_event_type_cache()
    install_fast_ids()
    install_fast_dataclass_check()
    install_send_queue()
    install_lean_events()
    install_shared_empty_snapshots()
    install_late_call_answers()
    install_identity_equal_pages()
    install_param_count_cache()
    install_lean_inits()
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
