"""What the core needs from the outside world; adapters live in storage/ and bus/."""

from __future__ import annotations

from typing import Protocol

from flet_chat.core.events import ChatEvent
from flet_chat.core.models import HistoryPage, Message, MessageKind, NewMessage


class MessageStore(Protocol):
    async def add(self, new: NewMessage) -> Message:
        """Commit the message and return it with its id and timestamp."""
        ...

    async def latest(self, limit: int) -> HistoryPage: ...

    async def before(self, message_id: int, limit: int) -> HistoryPage:
        """The `limit` messages just older than `message_id`, oldest first."""
        ...

    async def after(self, message_id: int, limit: int) -> list[Message]:
        """Up to `limit` messages newer than `message_id`, oldest first: how gaps are filled."""
        ...

    async def latest_id(self) -> int: ...

    async def last_of_kind(self, kind: MessageKind) -> Message | None:
        """The newest message of `kind` (the room's topic is its last `topic` message)."""
        ...

    async def ping(self) -> None:
        """Raise if the store cannot be reached."""
        ...


class EventBus(Protocol):
    async def publish(self, event: ChatEvent) -> None: ...


class Presence(Protocol):
    """Who is online, counted per user however many tabs, processes or machines they use."""

    async def enter(self, user_name: str, session_key: str) -> bool:
        """Mark a session online; True if the user was offline before it."""
        ...

    async def leave(self, user_name: str, session_key: str) -> bool:
        """Mark a session gone; True if the user has no other session left."""
        ...

    async def set_connected(self, user_name: str, session_key: str, connected: bool) -> None:
        """A joined session lost (or got back) its connection. It still counts for join and
        leave notices (a reload is not a leave), but not in `online_users`."""
        ...

    async def online_users(self) -> list[str]:
        """Users with at least one connected session, sorted case-insensitively."""
        ...

    async def online_count(self) -> int:
        """How many users `online_users` would list, without listing them."""
        ...
