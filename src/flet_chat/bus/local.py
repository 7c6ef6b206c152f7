"""LocalBus: publishes core events on the process's Fanout, one topic per room.

Sessions subscribe on the Fanout (bus/fanout.py) to the topics of the rooms they are in, to
their user's topic (to hear of rooms they join in another tab, or direct conversations opened
with them) and to the room directory; they unsubscribe when their session closes. A session
subscribes only to rooms the server let its user into, so nothing of a direct conversation
reaches anyone else's session.

Every event also goes to the process's listeners (the shared presence cache and typing board).
`PresenceChanged` and `UserTyping` go *only* there: the listeners work out who is online and
who is typing once for the whole process and tell sessions when that changes, so a crowd
joining or typing costs each session nothing per event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

from flet_chat.core.events import (
    ChatEvent,
    LocalEvent,
    MembershipChanged,
    MessageChanged,
    MessagePosted,
    MessagesRestored,
    ModerationChanged,
    ProfileChanged,
    RoomChanged,
    SessionsEnded,
)
from flet_chat.core.models import Message, RoomKind
from flet_chat.core.moderation_models import EVERYWHERE
from flet_chat.core.rooms import user_key

ROOMS_TOPIC = "rooms"  # public rooms created
PROFILES_TOPIC = "profiles"  # display names, statuses and avatars changed


def room_topic(key: str) -> str:
    return f"room:{key}"


def user_topic(name: str) -> str:
    return f"user:{user_key(name)}"


class TopicHub(Protocol):
    """What the bus needs to reach this process's sessions (the Fanout, or a test's fake)."""

    def send_all_on_topic(self, topic: str, message: Any) -> None: ...


ProcessListener = Callable[[LocalEvent], None]


class LocalBus:
    def __init__(self, hub: TopicHub) -> None:
        self._hub = hub
        self._listeners: list[ProcessListener] = []

    def add_listener(self, listener: ProcessListener) -> None:
        """`listener` runs on the event loop for every event; it must return at once."""
        self._listeners.append(listener)

    async def publish(self, event: ChatEvent) -> None:
        self.deliver(event)

    def deliver(self, event: LocalEvent) -> None:
        """Hand an event to this process's listeners and to the sessions it concerns."""
        for listener in self._listeners:
            listener(event)
        hub = self._hub
        if isinstance(event, MessagePosted | MessageChanged):
            hub.send_all_on_topic(room_topic(event.message.room), event)
        elif isinstance(event, MessagesRestored):
            by_room: defaultdict[str, list[Message]] = defaultdict(list)
            for message in event.messages:
                by_room[message.room].append(message)
            for room, messages in by_room.items():
                hub.send_all_on_topic(room_topic(room), MessagesRestored(tuple(messages)))
        elif isinstance(event, MembershipChanged):
            hub.send_all_on_topic(user_topic(event.user_name), event)
            hub.send_all_on_topic(room_topic(event.room.key), event)
        elif isinstance(event, RoomChanged) and event.room.kind is RoomKind.PUBLIC:
            hub.send_all_on_topic(ROOMS_TOPIC, event)
        elif isinstance(event, RoomChanged):  # a private room: its members' sessions only
            hub.send_all_on_topic(room_topic(event.room.key), event)
        elif isinstance(event, ModerationChanged):
            hub.send_all_on_topic(user_topic(event.user_name), event)
            if event.room != EVERYWHERE:
                hub.send_all_on_topic(room_topic(event.room), event)
        elif isinstance(event, SessionsEnded):
            # Every session of a user hears its user topic; each checks whether it is one of
            # the sessions that ended.
            hub.send_all_on_topic(user_topic(event.user_name), event)
        elif isinstance(event, ProfileChanged):
            hub.send_all_on_topic(PROFILES_TOPIC, event)

    def describe(self) -> str:
        return "local"

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
