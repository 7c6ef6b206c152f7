"""`flet-chat desktop`: the chat in a Flet desktop window, on this machine's settings.

Flet serves the window's one session on a local socket (no web server, so nothing of the web
app's HTTP side: no avatar pictures served or uploaded, no provider sign-in) and returns when
the window closes. The services stop after that session's close handler has finished its
database work (marking what was read, leaving), not under it.
"""

from __future__ import annotations

import asyncio
import logging

import flet as ft

from flet_chat.bootstrap import Runtime
from flet_chat.settings import Settings
from flet_chat.ui.app import build_main

logger = logging.getLogger(__name__)

CLOSE_HANDLER_SECONDS = 10.0


async def run_desktop(settings: Settings) -> None:
    runtime = Runtime(settings)
    try:
        await ft.run_async(build_main(runtime), view=ft.AppView.FLET_APP)
        await _session_closed()
    finally:
        await runtime.stop()


async def _session_closed() -> None:
    """Waits for the handlers of Flet's page events still running (the window's "close" event
    is dispatched in a task of its own when the socket closes)."""
    handlers = [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "Session.dispatch_event"
    ]
    if handlers:
        _, late = await asyncio.wait(handlers, timeout=CLOSE_HANDLER_SECONDS)
        if late:
            logger.warning("the window's session did not finish closing in time")
