"""In-memory adapters for the core's ports, recording what happened and in which order."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from flet_chat.core.accounts.models import (
    Account,
    AccountKind,
    Profile,
    Role,
    SessionInfo,
    SessionKind,
)
from flet_chat.core.accounts.ports import Claim, Credentials, NewSession, StoredSession
from flet_chat.core.events import (
    ChatEvent,
    LocalEvent,
    MessagePosted,
    PresenceChanged,
    UserTyping,
)
from flet_chat.core.limits import DEFAULT_ROOM, MAX_ROOM_DIRECTORY
from flet_chat.core.models import (
    Attachment,
    HistoryPage,
    Membership,
    Message,
    MessageKind,
    NewMessage,
    Reaction,
    Room,
    RoomKind,
    RoomRole,
    RoomState,
    SearchQuery,
)
from flet_chat.core.moderation_models import (
    EVERYWHERE,
    AuditEntry,
    NewAuditEntry,
    NewReport,
    Report,
    ReportResolution,
)
from flet_chat.core.ports import Inspected
from flet_chat.core.rate_limit import (
    Action,
    Budget,
    LocalRateLimiter,
    RateLimits,
    Rule,
    Scope,
)
from flet_chat.core.rooms import user_key

_SEARCHED = (MessageKind.CHAT, MessageKind.ACTION, MessageKind.TOPIC)


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
            attachments=new.attachments,
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

    async def delete(self, message_id: int, *, by_moderator: bool = False) -> Message:
        return self._replace(
            message_id,
            text="",
            deleted=True,
            reactions=(),
            attachments=(),
            removed_by_moderator=by_moderator,
        )

    async def attachment(self, attachment_id: str) -> tuple[Attachment, Message] | None:
        for message in self.messages:
            for attachment in message.attachments:
                if attachment.id == attachment_id:
                    return attachment, message
        return None

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

    async def around(self, room: str, message_id: int, limit: int) -> HistoryPage:
        in_room = [m for m in self.messages if m.room == room]
        older = [m for m in in_room if m.id <= message_id]
        newer = [m for m in in_room if m.id > message_id]
        before, after = older[-(limit - limit // 2) :], newer[: limit // 2]
        return HistoryPage(
            [*before, *after], len(older) > len(before), has_newer=len(newer) > len(after)
        )

    async def search(self, query: SearchQuery) -> list[Message]:
        """Words as the databases' tokenizers see them: runs of letters and digits, lowercased."""
        found = [
            m
            for m in reversed(self.messages)
            if m.room in query.rooms
            and m.kind in _SEARCHED
            and not m.deleted
            and (query.before is None or m.id < query.before)
            and set(query.terms) <= set(re.findall(r"[^\W_]+", m.text.lower()))
        ]
        return found[: query.limit]

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
        self.roles: dict[tuple[str, str], RoomRole] = {}  # (room, user key) -> role
        self.muted: dict[tuple[str, str], datetime] = {}
        self.created: list[tuple[str, datetime]] = []  # public rooms: by whom, when
        for name, skeleton in claimed:
            self.names[user_key(name)] = (name, skeleton)

    async def name_holder(self, user_name: str, skeleton: str) -> str | None:
        if user_key(user_name) in self.names:
            return self.names[user_key(user_name)][0]
        return next((name for name, skel in self.names.values() if skel == skeleton), None)

    async def create_room(self, room: Room, created_by: str) -> bool:
        if room.key in self.rooms:
            return False
        # Like SqlRoomStore: only a direct room's description lists its members.
        self.rooms[room.key] = room if room.kind is RoomKind.DIRECT else Room(room.key, room.kind)
        self.members_of[room.key] = {user_key(m): m for m in room.members}
        if room.kind is not RoomKind.DIRECT:
            self.created.append((created_by, datetime.now(UTC)))
            if user_key(created_by) in self.members_of[room.key]:
                self.roles[(room.key, user_key(created_by))] = RoomRole.OWNER
        return True

    async def get_room(self, key: str) -> Room | None:
        return self.rooms.get(key)

    def _membership(self, key: str, user_name: str) -> Membership | None:
        me = user_key(user_name)
        name = self.members_of.get(key, {}).get(me)
        if name is None:
            if key == DEFAULT_ROOM and (key, me) in self.muted:
                return Membership(key, user_name, RoomRole.MEMBER, self.muted[(key, me)])
            return None
        return Membership(
            key, name, self.roles.get((key, me), RoomRole.MEMBER), self.muted.get((key, me))
        )

    async def membership(self, key: str, user_name: str) -> Membership | None:
        return self._membership(key, user_name)

    async def standing(self, key: str, user_name: str) -> tuple[Room | None, Membership | None]:
        room = self.rooms.get(key)
        return room, None if room is None else self._membership(key, user_name)

    async def memberships(self, key: str) -> list[Membership]:
        if key == DEFAULT_ROOM:
            return []
        names = sorted(self.members_of.get(key, {}).values(), key=user_key)
        return [m for m in (self._membership(key, n) for n in names) if m is not None]

    async def set_role(self, key: str, user_name: str, role: RoomRole) -> bool:
        if user_key(user_name) not in self.members_of.get(key, {}):
            return False
        self.roles[(key, user_key(user_name))] = role
        return True

    async def transfer_ownership(self, key: str, owner: str, new_owner: str) -> bool:
        members = self.members_of.get(key, {})
        if user_key(owner) not in members or user_key(new_owner) not in members:
            return False
        if self.roles.get((key, user_key(owner))) is not RoomRole.OWNER:
            return False  # no longer the owner (the SQL store's guard too)
        self.roles[(key, user_key(owner))] = RoomRole.MODERATOR
        self.roles[(key, user_key(new_owner))] = RoomRole.OWNER
        return True

    async def set_muted(self, key: str, user_name: str, until: datetime | None) -> bool:
        if key != DEFAULT_ROOM and user_key(user_name) not in self.members_of.get(key, {}):
            return False
        if until is None:
            self.muted.pop((key, user_key(user_name)), None)
        else:
            self.muted[(key, user_key(user_name))] = until
        return True

    async def set_archived(self, key: str, archived: bool) -> None:
        self.rooms[key] = dataclasses.replace(self.rooms[key], archived=archived)

    async def set_slow_mode(self, key: str, seconds: int) -> None:
        self.rooms[key] = dataclasses.replace(self.rooms[key], slow_mode_seconds=seconds)

    async def public_rooms(self, limit: int = MAX_ROOM_DIRECTORY) -> list[Room]:
        public = [r for r in self.rooms.values() if r.kind is RoomKind.PUBLIC and not r.archived]
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
        self.roles.pop((key, user_key(user_name)), None)
        self.muted.pop((key, user_key(user_name)), None)
        return self.members_of.get(key, {}).pop(user_key(user_name), None) is not None

    async def is_member(self, key: str, user_name: str) -> bool:
        return key == DEFAULT_ROOM or user_key(user_name) in self.members_of.get(key, {})

    async def members(self, key: str) -> list[str]:
        return sorted(self.members_of.get(key, {}).values(), key=user_key)

    async def rooms_of(self, user_name: str) -> list[RoomState]:
        keys = [k for k, m in self.members_of.items() if user_key(user_name) in m]
        states = []
        for k in [DEFAULT_ROOM, *keys]:
            standing = self._membership(k, user_name)
            ranked = k != DEFAULT_ROOM and self.rooms[k].kind is not RoomKind.DIRECT
            role = standing.role if ranked and standing is not None else None
            until = standing.muted_until if standing is not None else None
            states.append(RoomState(self.rooms[k], 0, False, role=role, muted_until=until))
        return states

    async def room_keys_of(self, user_name: str) -> list[str]:
        return [DEFAULT_ROOM, *(k for k, m in self.members_of.items() if user_key(user_name) in m)]

    async def mark_read(self, key: str, user_name: str, message_id: int) -> None:
        return None


class MemoryModerationStore:
    """Bans, reports and the audit log in lists and dictionaries."""

    def __init__(self) -> None:
        self.bans: dict[tuple[str, str], str] = {}  # (room, user key) -> name
        self.reports: list[Report] = []
        self.audit: list[AuditEntry] = []

    async def add_ban(
        self, key: str, user_name: str, *, banned_by: str, reason: str | None, at: datetime
    ) -> bool:
        if (key, user_key(user_name)) in self.bans:
            return False
        self.bans[(key, user_key(user_name))] = user_name
        return True

    async def remove_ban(self, key: str, user_name: str) -> bool:
        return self.bans.pop((key, user_key(user_name)), None) is not None

    async def is_banned(self, key: str, user_name: str) -> bool:
        me = user_key(user_name)
        return (key, me) in self.bans or (EVERYWHERE, me) in self.bans

    async def banned(self, key: str) -> list[str]:
        return sorted((n for (k, _), n in self.bans.items() if k == key), key=user_key)

    async def add_report(self, new: NewReport, at: datetime) -> Report | None:
        mine = user_key(new.reporter)
        for r in self.reports:
            if r.message_id == new.message_id and user_key(r.reporter) == mine and r.is_open:
                return None
        report = Report(
            len(self.reports) + 1, new.message_id, new.room, new.reporter, new.reason, at
        )
        self.reports.append(report)
        return report

    async def report(self, report_id: int) -> Report | None:
        return next((r for r in self.reports if r.id == report_id), None)

    async def open_reports(self, limit: int) -> list[Report]:
        return [r for r in self.reports if r.is_open][:limit]

    async def resolve_report(
        self, report_id: int, *, by: str, resolution: ReportResolution, at: datetime
    ) -> Report | None:
        for i, r in enumerate(self.reports):
            if r.id == report_id and r.is_open:
                self.reports[i] = dataclasses.replace(
                    r, resolved_at=at, resolved_by=by, resolution=resolution
                )
                return self.reports[i]
        return None

    async def reopen_report(self, report_id: int) -> None:
        for i, r in enumerate(self.reports):
            if r.id == report_id:
                again = any(
                    o.is_open and o.message_id == r.message_id and o.reporter == r.reporter
                    for o in self.reports
                )
                if not again:
                    self.reports[i] = dataclasses.replace(
                        r, resolved_at=None, resolved_by=None, resolution=None
                    )

    async def add_audit(self, entry: NewAuditEntry, at: datetime) -> AuditEntry:
        made = AuditEntry(
            len(self.audit) + 1,
            at,
            entry.actor,
            entry.action,
            entry.target_user,
            entry.room,
            entry.message_id,
            entry.reason,
            entry.detail,
        )
        self.audit.append(made)
        return made

    async def audit_log(self, limit: int, before: int | None) -> list[AuditEntry]:
        older = [e for e in self.audit if before is None or e.id < before]
        return list(reversed(older))[:limit]


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


class MemoryAccountStore:
    """Accounts in dictionaries. Names are claimed in `rooms.names`, where the room store (and
    with it the webhook's and DMs' name checks) sees them, as in the SQL stores' shared table."""

    def __init__(self, rooms: MemoryRoomStore) -> None:
        self.rooms = rooms
        self.accounts: dict[str, dict[str, object]] = {}  # user key -> fields
        self.sessions: dict[int, dict[str, object]] = {}
        self.avatars: dict[str, bytes] = {}
        self.links: dict[tuple[str, str], str] = {}
        self._next_id = 1

    async def create_account(
        self,
        user_name: str,
        skeleton: str,
        *,
        kind: AccountKind,
        password_hash: str | None,
        role: Role,
    ) -> str | None:
        holder = await self.rooms.name_holder(user_name, skeleton)
        if holder is not None:
            return holder
        key = user_key(user_name)
        self.rooms.names[key] = (user_name, skeleton)
        self.accounts[key] = {
            "user_name": user_name,
            "kind": kind,
            "role": role,
            "password_hash": password_hash,
            "display_name": None,
            "status": None,
            "avatar_version": 0,
            "created_at": datetime.now(UTC),
            "order": len(self.accounts),
        }
        return None

    def _row(self, user_name: str) -> dict[str, object] | None:
        return self.accounts.get(user_key(user_name))

    def _account(self, row: dict[str, object]) -> Account:
        key = user_key(str(row["user_name"]))
        version = int(row["avatar_version"]) if key in self.avatars else 0  # type: ignore[call-overload]
        return Account(
            user_name=str(row["user_name"]),
            kind=row["kind"],  # type: ignore[arg-type]
            role=row["role"],  # type: ignore[arg-type]
            profile=Profile(row["display_name"], row["status"], version),  # type: ignore[arg-type]
            has_password=row["password_hash"] is not None,
            created_at=row["created_at"],  # type: ignore[arg-type]
        )

    async def credentials(self, user_name: str) -> Credentials | None:
        row = self._row(user_name)
        if row is None:
            return None
        return Credentials(self._account(row), row["password_hash"])  # type: ignore[arg-type]

    async def account(self, user_name: str) -> Account | None:
        row = self._row(user_name)
        return None if row is None else self._account(row)

    async def set_password(
        self, user_name: str, password_hash: str, *, kind: AccountKind | None = None
    ) -> None:
        row = self._row(user_name)
        if row is not None:
            row["password_hash"] = password_hash
            if kind is not None:
                row["kind"] = kind

    async def set_admins(self, user_names: Iterable[str]) -> None:
        keys = {user_key(n) for n in user_names}
        for key, row in self.accounts.items():
            admin = key in keys and row["kind"] is not AccountKind.GUEST
            row["role"] = Role.ADMIN if admin else Role.MEMBER

    async def first_member(self) -> str | None:
        members = [r for r in self.accounts.values() if r["kind"] is AccountKind.MEMBER]
        members.sort(key=lambda r: (r["role"] is not Role.ADMIN, r["order"]))  # type: ignore[arg-type, return-value]
        return str(members[0]["user_name"]) if members else None

    async def forget_guest(self, user_name: str) -> None:
        key = user_key(user_name)
        row = self.accounts.get(key)
        if row is not None and row["kind"] is AccountKind.GUEST:
            del self.accounts[key]
            self.rooms.names.pop(key, None)
            for sid in [i for i, s in self.sessions.items() if s["user_key"] == key]:
                del self.sessions[sid]

    async def set_profile(
        self, user_name: str, *, display_name: str | None, status: str | None
    ) -> Account:
        row = self._row(user_name)
        assert row is not None
        row["display_name"], row["status"] = display_name, status
        return self._account(row)

    async def set_avatar(self, user_name: str, image: bytes | None) -> Account:
        row = self._row(user_name)
        assert row is not None
        key = user_key(user_name)
        self.avatars.pop(key, None)
        if image is not None:
            self.avatars[key] = image
        row["avatar_version"] = int(row["avatar_version"]) + 1  # type: ignore[call-overload]
        return self._account(row)

    async def avatar(self, user_name: str) -> tuple[int, bytes] | None:
        row = self._row(user_name)
        image = self.avatars.get(user_key(user_name))
        if row is None or image is None:
            return None
        return int(row["avatar_version"]), image  # type: ignore[call-overload]

    async def profiles(self, user_names: Iterable[str]) -> dict[str, Profile]:
        found = {}
        for name in user_names:
            row = self._row(name)
            if row is not None:
                found[name] = self._account(row).profile
        return found

    async def create_account_with_session(
        self,
        user_name: str,
        skeleton: str,
        *,
        kind: AccountKind,
        password_hash: str | None,
        role: Role,
        session: NewSession,
    ) -> Claim:
        holder = await self.create_account(
            user_name, skeleton, kind=kind, password_hash=password_hash, role=role
        )
        if holder is not None:
            return Claim(holder)
        session_id = await self.add_session(
            user_name,
            session.token_hash,
            kind=session.kind,
            label=session.label,
            expires_at=session.expires_at,
        )
        return Claim(None, await self.account(user_name), session_id)

    async def add_session(
        self,
        user_name: str,
        token_hash: str,
        *,
        kind: SessionKind,
        label: str | None,
        expires_at: datetime | None,
    ) -> int:
        session_id, self._next_id = self._next_id, self._next_id + 1
        now = datetime.now(UTC)
        self.sessions[session_id] = {
            "user_key": user_key(user_name),
            "token_hash": token_hash,
            "kind": kind,
            "label": label,
            "created_at": now,
            "last_used_at": now,
            "expires_at": expires_at,
            "ended_at": None,
        }
        return session_id

    async def add_first_session(
        self, user_name: str, token_hash: str, *, kind: SessionKind, expires_at: datetime | None
    ) -> int | None:
        if any(s["user_key"] == user_key(user_name) for s in self.sessions.values()):
            return None
        return await self.add_session(
            user_name, token_hash, kind=kind, label=None, expires_at=expires_at
        )

    def _live(self, session: dict[str, object], now: datetime) -> bool:
        expires = session["expires_at"]
        return session["ended_at"] is None and (expires is None or expires > now)  # type: ignore[operator]

    async def session(self, token_hash: str, now: datetime) -> StoredSession | None:
        for sid, session in self.sessions.items():
            if session["token_hash"] == token_hash and self._live(session, now):
                row = self.accounts.get(str(session["user_key"]))
                if row is None:
                    return None
                return StoredSession(
                    self._account(row),
                    sid,
                    session["kind"],
                    session["last_used_at"],  # type: ignore[arg-type]
                )
        return None

    async def touch_session(
        self, session_id: int, now: datetime, expires_at: datetime | None
    ) -> None:
        session = self.sessions[session_id]
        session["last_used_at"] = now
        if expires_at is not None:
            session["expires_at"] = expires_at

    async def sessions_of(
        self, user_name: str, kinds: Iterable[SessionKind], now: datetime
    ) -> list[SessionInfo]:
        wanted = set(kinds)
        return [
            SessionInfo(sid, s["kind"], s["label"], s["created_at"], s["last_used_at"])  # type: ignore[arg-type]
            for sid, s in sorted(self.sessions.items())
            if s["user_key"] == user_key(user_name) and s["kind"] in wanted and self._live(s, now)
        ]

    async def end_sessions(
        self,
        user_name: str,
        now: datetime,
        *,
        session_ids: Iterable[int] | None = None,
        kinds: Iterable[SessionKind] | None = None,
        keep: int | None = None,
    ) -> list[int]:
        ids = set(session_ids) if session_ids is not None else None
        wanted = set(kinds) if kinds is not None else None
        ended = []
        for sid, s in sorted(self.sessions.items()):
            if (
                s["user_key"] == user_key(user_name)
                and self._live(s, now)
                and (ids is None or sid in ids)
                and (wanted is None or s["kind"] in wanted)
                and sid != keep
            ):
                s["ended_at"] = now
                ended.append(sid)
        return ended

    async def ended_among(self, session_ids: Iterable[int], now: datetime) -> set[int]:
        return {
            sid
            for sid in session_ids
            if sid not in self.sessions or not self._live(self.sessions[sid], now)
        }

    async def linked_account(self, provider: str, subject: str) -> str | None:
        key = self.links.get((provider, subject))
        row = self.accounts.get(key) if key else None
        return None if row is None else str(row["user_name"])

    async def link_identity(self, provider: str, subject: str, user_name: str) -> None:
        self.links.setdefault((provider, subject), user_key(user_name))


class PlainHasher:
    """Stands in for argon2 where its cost is not what a test is about: the hash is still one
    way enough to tell passwords apart (sha256), and a missing hash never verifies."""

    async def hash(self, password: str) -> str:
        return "sha256$" + hashlib.sha256(password.encode()).hexdigest()

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return password_hash is not None and password_hash == await self.hash(password)

    def needs_rehash(self, password_hash: str) -> bool:
        return False


class MemoryBlobStore:
    """The BlobStore port in a dict (the real ones: tests/adapters/test_blob_stores.py)."""

    def __init__(self) -> None:
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.fail_puts = False

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if self.fail_puts:
            raise ConnectionError("blob store unreachable")
        self.blobs[key] = (data, content_type)

    async def get(self, key: str) -> bytes | None:
        found = self.blobs.get(key)
        return None if found is None else found[0]

    async def delete(self, key: str) -> None:
        self.blobs.pop(key, None)


class PrefixInspector:
    """A MediaInspector that knows one kind of image: bytes starting with b"IMG" (the real one,
    media/, is tested on real images in tests/unit/test_media_files.py)."""

    async def inspect(self, data: bytes) -> Inspected:
        if data.startswith(b"IMG"):
            return Inspected("image/png", b"THUMB" + data[:8])
        return Inspected("application/octet-stream")
