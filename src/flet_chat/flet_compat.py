"""Workarounds for Flet 1.0.5 internals. Every access to a private Flet name lives here.

The leak: if a client disconnects while the server is sending, `FletApp.handle` re-raises the
send error before it tells the app manager the session is disconnected. That session then never
expires, `on_disconnect`/`on_close` never fire and its send queue grows without bound.

The closing gap: after the send loop ends, and before the session is marked disconnected, an
update from a pubsub handler or timer raises AttributeError on the cleared send queue.
"""

from __future__ import annotations

import logging
from typing import Any

from flet_web.fastapi.flet_app import FletApp
from flet_web.fastapi.flet_app_manager import app_manager

logger = logging.getLogger(__name__)


class LeakSafeFletApp(FletApp):  # type: ignore[misc]
    def send_message(self, message: Any) -> None:
        if getattr(self, "_FletApp__send_queue", None) is None:
            return  # the socket is closing; Flet drops messages to disconnected sessions too
        super().send_message(message)

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
    return len(set(topics) | set(plain))
