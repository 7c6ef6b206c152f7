"""Workarounds for Flet 1.0.5 internals. Every access to a private Flet name lives here.

The leak: if a client disconnects while the server is sending, `FletApp.handle` re-raises the
send error before it tells the app manager the session is disconnected. That session then never
expires, `on_disconnect`/`on_close` never fire and its send queue grows without bound.

The closing gap: after the send loop ends, and before the session is marked disconnected, an
update from a pubsub handler or timer raises AttributeError on the cleared send queue.

The cost of a shared row: every time a row is added to a session, Flet's diff walks every field
of every control in it (`DiffBuilder._configure_dataclass`), although a row that never changes
needs that walk once per process. `install_walk_once()` lets controls that say so
(`walk_once = True`) be walked once and then hand back the controls found the first time.

The debug f-string: `FletApp.send_message` formats every outgoing message into a debug log line
whether or not debug logging is on; the repr of a patch walks all of its controls again.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator
from typing import Any

import msgpack
from flet.controls.base_control import BaseControl
from flet.controls.object_patch import DiffBuilder
from flet.messaging.protocol import configure_encode_object_for_msgpack
from flet_web.fastapi.flet_app import FletApp
from flet_web.fastapi.flet_app_manager import app_manager

logger = logging.getLogger(__name__)


_encode_control = configure_encode_object_for_msgpack(BaseControl)  # type: ignore[no-untyped-call]


class LeakSafeFletApp(FletApp):  # type: ignore[misc]
    def send_message(self, message: Any) -> None:
        queue = getattr(self, "_FletApp__send_queue", None)
        if queue is None:
            return  # the socket is closing; Flet drops messages to disconnected sessions too
        # FletApp.send_message's own body, without its always-formatted debug line.
        body = msgpack.packb([message.action, message.body], default=_encode_control)
        queue.put_nowait(b"\x00" + body)

    async def handle(self, websocket: Any) -> None:
        try:
            await super().handle(websocket)
        except Exception as error:
            session = getattr(self, "_FletApp__session", None)
            if session is None:
                raise
            logger.info("client went away while the server was sending: %r", error)
            await app_manager.disconnect_session(
                self._FletApp__get_unique_session_id(session.id),
                self._FletApp__session_timeout_seconds,
            )


def flet_sessions() -> list[Any]:
    """Sessions Flet's app manager still holds, connected or waiting to expire."""
    sessions: dict[str, Any] = getattr(app_manager, "_FletAppManager__sessions", {})
    return list(sessions.values())


def flet_session_count() -> int:
    return len(flet_sessions())


def pubsub_subscriber_count(hub: Any) -> int:
    """Sessions with at least one subscription on the hub (global or topic)."""
    topics: dict[str, Any] = getattr(hub, "_PubSubHub__subscriber_topics", {})
    plain: dict[str, Any] = getattr(hub, "_PubSubHub__subscribers", {})
    # Ids with our own prefix are in-process subscribers (the Socket.IO fan-out), not sessions.
    return len({s for s in set(topics) | set(plain) if not s.startswith("flet-chat:")})


_WALKED = "_flet_chat_walked"


def install_walk_once() -> None:
    """Patch Flet's diff so `walk_once` controls are configured once per process (idempotent)."""
    original = DiffBuilder._configure_dataclass
    if getattr(original, "_flet_chat_walk_once", False):
        return

    def configure(
        self: Any, item: Any, parent: Any, frozen: bool, configure_setattr_only: bool = False
    ) -> Iterator[Any]:
        if configure_setattr_only or not getattr(item, "walk_once", False):
            yield from original(self, item, parent, frozen, configure_setattr_only)
            return
        walked: tuple[Any, ...] | None = getattr(item, _WALKED, None)
        if walked is None:
            walked = tuple(original(self, item, parent, frozen, configure_setattr_only))
            object.__setattr__(item, _WALKED, walked)
        elif parent is not None and parent is not item:
            item._parent = weakref.ref(parent)
        yield from walked

    configure._flet_chat_walk_once = True  # type: ignore[attr-defined]
    DiffBuilder._configure_dataclass = configure  # type: ignore[method-assign]
