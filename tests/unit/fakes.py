"""In-memory adapters for the core's ports, recording what happened and in which order."""

from __future__ import annotations

from datetime import UTC, datetime

from flet_chat.core.events import ChatEvent, MessagePosted, PresenceChanged, UserTyping
from flet_chat.core.models import HistoryPage, Message, MessageKind, NewMessage


class MemoryStore:
    def __init__(self, journal: list[str]) -> None:
        self.messages: list[Message] = []
        self.journal = journal
        self.fail_next = False

    async def add(self, new: NewMessage) -> Message:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("database unreachable")
        message = Message(
            len(self.messages) + 1,
            new.kind,
            new.user_name,
            new.text,
            datetime.now(UTC),
            new.author_kind,
        )
        self.messages.append(message)
        self.journal.append(f"stored {message.id}")
        return message

    async def latest(self, limit: int) -> HistoryPage:
        page = self.messages[-limit:]
        return HistoryPage(page, len(self.messages) > len(page))

    async def before(self, message_id: int, limit: int) -> HistoryPage:
        older = [m for m in self.messages if m.id < message_id]
        return HistoryPage(older[-limit:], len(older) > limit)

    async def after(self, message_id: int, limit: int) -> list[Message]:
        return [m for m in self.messages if m.id > message_id][:limit]

    async def last_of_kind(self, kind: MessageKind) -> Message | None:
        return next((m for m in reversed(self.messages) if m.kind is kind), None)

    async def latest_id(self) -> int:
        return self.messages[-1].id if self.messages else 0

    async def ping(self) -> None:
        return None


class RecordingBus:
    """`events` holds the messages published; presence and typing are kept apart."""

    def __init__(self, journal: list[str]) -> None:
        self.events: list[MessagePosted] = []
        self.presence: list[PresenceChanged] = []
        self.typing: list[UserTyping] = []
        self.journal = journal

    async def publish(self, event: ChatEvent) -> None:
        if isinstance(event, MessagePosted):
            self.events.append(event)
            self.journal.append(f"published {event.message.id}")
        elif isinstance(event, PresenceChanged):
            self.presence.append(event)
            self.journal.append(f"presence {event.user_name} {event.online}")
        else:
            self.typing.append(event)
            self.journal.append(f"typing {event.user_name}")
