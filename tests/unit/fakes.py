"""In-memory adapters for the core's ports, recording what happened and in which order."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime

from flet_chat.core.events import (
    ChatEvent,
    LocalEvent,
    MessagePosted,
    PresenceChanged,
    UserTyping,
)
from flet_chat.core.limits import DEFAULT_ROOM, MAX_ROOM_DIRECTORY
from flet_chat.core.models import (
    HistoryPage,
    Message,
    MessageKind,
    NewMessage,
    Reaction,
    Room,
    RoomKind,
    RoomState,
)
from flet_chat.core.rate_limit import (
    Action,
    Budget,
    LocalRateLimiter,
    RateLimits,
    Rule,
    Scope,
)
from flet_chat.core.rooms import user_key


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
            new.room,
        )
        self.messages.append(message)
        self.journal.append(f"stored {message.id}")
        return message

    async def latest(self, room: str, limit: int) -> HistoryPage:
        in_room = [m for m in self.messages if m.room == room]
        page = in_room[-limit:]
        return HistoryPage(page, len(in_room) > len(page))

    async def before(self, room: str, message_id: int, limit: int) -> HistoryPage:
        older = [m for m in self.messages if m.id < message_id and m.room == room]
        return HistoryPage(older[-limit:], len(older) > limit)

    async def after(self, message_id: int, limit: int) -> list[Message]:
        return [m for m in self.messages if m.id > message_id][:limit]

    async def last_of_kind(self, room: str, kind: MessageKind) -> Message | None:
        return next((m for m in reversed(self.messages) if m.kind is kind and m.room == room), None)

    async def get(self, message_id: int) -> Message | None:
        return next((m for m in self.messages if m.id == message_id), None)

    def _replace(self, message_id: int, **changes: object) -> Message:
        index = next(i for i, m in enumerate(self.messages) if m.id == message_id)
        old = self.messages[index]
        new = dataclasses.replace(old, revision=old.revision + 1, **changes)  # type: ignore[arg-type]
        self.messages[index] = new
        self.journal.append(f"changed {message_id}")
        return new

    async def edit(self, message_id: int, text: str, mentions: tuple[str, ...]) -> Message:
        return self._replace(message_id, text=text, edited=True)

    async def delete(self, message_id: int) -> Message:
        return self._replace(message_id, text="", deleted=True, reactions=())

    async def toggle_reaction(self, message_id: int, user_name: str, emoji: str) -> Message:
        old = await self.get(message_id)
        assert old is not None
        users = {r.emoji: list(r.users) for r in old.reactions}
        chosen = users.setdefault(emoji, [])
        if user_name in chosen:
            chosen.remove(user_name)
        else:
            chosen.append(user_name)
        reactions = tuple(Reaction(e, tuple(u)) for e, u in users.items() if u)
        return self._replace(message_id, reactions=reactions)

    async def latest_id(self) -> int:
        return self.messages[-1].id if self.messages else 0

    async def ping(self) -> None:
        return None


class MemoryRoomStore:
    """Rooms in dictionaries: members by user key, read markers ignored (no unread counts)."""

    def __init__(self, claimed: tuple[tuple[str, str], ...] = ()) -> None:
        """`claimed`: (name, skeleton) of names people have joined under already."""
        self.names: dict[str, tuple[str, str]] = {}  # user key -> (name, skeleton)
        self.rooms: dict[str, Room] = {DEFAULT_ROOM: Room(DEFAULT_ROOM, RoomKind.PUBLIC)}
        self.members_of: dict[str, dict[str, str]] = {}
        self.created: list[tuple[str, datetime]] = []  # public rooms: by whom, when
        for name, skeleton in claimed:
            self.names[user_key(name)] = (name, skeleton)

    async def claim_name(self, user_name: str, skeleton: str) -> str | None:
        holder = await self.name_holder(user_name, skeleton)
        if holder is None:
            self.names[user_key(user_name)] = (user_name, skeleton)
        return holder

    async def name_holder(self, user_name: str, skeleton: str) -> str | None:
        if user_key(user_name) in self.names:
            return self.names[user_key(user_name)][0]
        return next((name for name, skel in self.names.values() if skel == skeleton), None)

    async def release_name(self, user_name: str) -> None:
        self.names.pop(user_key(user_name), None)

    async def create_room(self, room: Room, created_by: str) -> bool:
        if room.key in self.rooms:
            return False
        # Like SqlRoomStore: only a direct room's description lists its members.
        self.rooms[room.key] = room if room.kind is RoomKind.DIRECT else Room(room.key, room.kind)
        self.members_of[room.key] = {user_key(m): m for m in room.members}
        if room.kind is RoomKind.PUBLIC:
            self.created.append((created_by, datetime.now(UTC)))
        return True

    async def get_room(self, key: str) -> Room | None:
        return self.rooms.get(key)

    async def public_rooms(self, limit: int = MAX_ROOM_DIRECTORY) -> list[Room]:
        public = [r for r in self.rooms.values() if r.kind is RoomKind.PUBLIC]
        return sorted(public[-limit:], key=lambda r: r.key)  # the newest: no messages here

    async def rooms_created_since(self, user_name: str, since: datetime) -> int:
        return sum(
            1 for by, at in self.created if user_key(by) == user_key(user_name) and at > since
        )

    async def add_member(self, key: str, user_name: str) -> bool:
        members = self.members_of.setdefault(key, {})
        if key == DEFAULT_ROOM or user_key(user_name) in members:
            return False
        members[user_key(user_name)] = user_name
        return True

    async def remove_member(self, key: str, user_name: str) -> bool:
        return self.members_of.get(key, {}).pop(user_key(user_name), None) is not None

    async def is_member(self, key: str, user_name: str) -> bool:
        return key == DEFAULT_ROOM or user_key(user_name) in self.members_of.get(key, {})

    async def members(self, key: str) -> list[str]:
        return sorted(self.members_of.get(key, {}).values(), key=user_key)

    async def rooms_of(self, user_name: str) -> list[RoomState]:
        keys = [k for k, m in self.members_of.items() if user_key(user_name) in m]
        return [RoomState(self.rooms[k], 0, mentioned=False) for k in [DEFAULT_ROOM, *keys]]

    async def mark_read(self, key: str, user_name: str, message_id: int) -> None:
        return None


class RecordingBus:
    """`events` holds the messages published; presence and typing are kept apart. Like LocalBus
    it hands every event to the process's listeners, so bootstrap() can take it as the bus."""

    def __init__(self, journal: list[str]) -> None:
        self.events: list[MessagePosted] = []
        self.presence: list[PresenceChanged] = []
        self.typing: list[UserTyping] = []
        self.other: list[ChatEvent] = []  # message changes, rooms and memberships
        self.journal = journal
        self.listeners: list[Callable[[LocalEvent], None]] = []

    def add_listener(self, listener: Callable[[LocalEvent], None]) -> None:
        self.listeners.append(listener)

    def describe(self) -> str:
        return "recording"

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, event: ChatEvent) -> None:
        for listener in self.listeners:
            listener(event)
        if isinstance(event, MessagePosted):
            self.events.append(event)
            self.journal.append(f"published {event.message.id}")
        elif isinstance(event, PresenceChanged):
            self.presence.append(event)
            self.journal.append(f"presence {event.user_name} {event.online}")
        elif isinstance(event, UserTyping):
            self.typing.append(event)
            self.journal.append(f"typing {event.user_name}")
        else:
            self.other.append(event)
            self.journal.append(f"{event.type}")


def message_limits(
    burst: float, per_second: float, clock: Callable[[], float] = time.monotonic
) -> RateLimits:
    """In-process rate limits with one budget: messages per user (no other action is limited)."""
    budget = Budget(burst, per_second)
    return RateLimits(LocalRateLimiter(clock=clock), {Action.MESSAGE: (Rule(Scope.USER, budget),)})
