"""Events from controls that every session shares (message rows, member rows) reach the session
whose user clicked.

A shared control has one set of handlers and its parent link points at whichever session added
it last, so Flet's own dispatch would run the handler against the wrong page. What Flet does get
right is which session *received* the event: `Session.dispatch_event` binds `ft.context.page` to
it before anything else. `RoutedControl` reads that page and hands the event to the handler the
page's session registered here, instead of calling a handler on the control.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RoutedEvent:
    action: str  # what the control is for ("react", "message_menu", "open_direct", ...)
    value: str  # which message, user or emoji it is about
    event_name: str  # Flet's event: "click", "long_press", ...
    data: Any


RouteHandler = Callable[[RoutedEvent], Awaitable[None]]

# id(page) -> (the page, weakly; its session's handler). Not a WeakKeyDictionary: ft.Page is an
# unhashable dataclass. The weak reference keeps a closed page collectable and tells a reused id
# from the page that registered it.
_routes: dict[int, tuple[weakref.ref[ft.Page], RouteHandler]] = {}


def register(page: ft.Page, handler: RouteHandler) -> None:
    _routes[id(page)] = (weakref.ref(page), handler)


def unregister(page: ft.Page) -> None:
    entry = _routes.get(id(page))
    if entry is not None and entry[0]() is page:
        del _routes[id(page)]


def handler_for(page: ft.Page) -> RouteHandler | None:
    entry = _routes.get(id(page))
    if entry is None or entry[0]() is not page:
        return None
    return entry[1]


async def _ignore(_event: Any) -> None:
    """Set as the control's handler so that the client sends the event at all."""


class RoutedControl:
    """Mixin for a control inside a shared row. Give it `route` (action, value) and set the
    events it should send (on_click=ROUTED, ...)."""

    route: tuple[str, str] = ("", "")

    async def _trigger_event(self, event_name: str, event_data: Any, e: Any = None) -> None:
        try:
            page = ft.context.page
        except RuntimeError:
            return
        handler = handler_for(page)
        if handler is None:
            return  # the session is closing
        action, value = self.route
        try:
            await handler(RoutedEvent(action, value, event_name, event_data))
        except Exception:  # one session's failure must not reach Flet's shared dispatcher
            logger.exception("a routed %s/%s event failed", action, event_name)


ROUTED = _ignore
