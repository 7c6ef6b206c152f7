"""Every Socket.IO and webhook payload, as pydantic models: the API's documentation and its guard.

Client to server (Socket.IO events, each answered through the Socket.IO acknowledgement). `room`
is a public room's name ("dev" or "#dev") or a direct conversation's key; omitted, #general.
  `sign_up` SignUpRequest -> SignedInAck | ErrorAck   a new account with a password; the
                                                ack's `token` is a session token to join with
  `sign_in` SignInRequest -> SignedInAck | ErrorAck   a new session of an account with a
                                                password (attempts are rate-limited per account,
                                                connection and IP)
  `join` JoinRequest -> JoinAck | ErrorAck      enter the chat with a token (a session token from
                                                sign_up, sign_in or an earlier JoinAck, a personal
                                                access token, a bot token) or as a guest under a
                                                `name`, and `room` (joined if public); the client
                                                then hears every room its user is in
  `sign_out` SignOutRequest -> OkAck | ErrorAck    end the session this client joined with (or,
                                                `everywhere`, every browser and API session of the
                                                account) and leave the chat; the session's other
                                                connections get `signed_out`
  `send` SendRequest -> SendAck | ErrorAck      post a message in a room the user is in; a retry
                                                with the same `client_id` is stored once
  `typing` TypingRequest -> TypingAck | ErrorAck   tell a room you are typing (throttled)
  `history` HistoryRequest -> HistoryAck | ErrorAck   messages before an id (or the newest)
  `search` SearchRequest -> SearchAck | ErrorAck   messages holding every word of `q`, newest
                                                first, in `room` or in all the user's rooms
                                                (#general only before `join`); `before` = the
                                                last result's id pages on
  `join_room` RoomRequest -> JoinRoomAck | ErrorAck     join a public room, or open a direct
                                                conversation the user is in (its key, or "@name")
  `leave_room` RoomRequest -> RoomAck | ErrorAck     leave a public room (never #general)
  `create_room` CreateRoomRequest -> RoomAck | ErrorAck   a new public room, with the user in it
  `open_direct` OpenDirectRequest -> RoomAck | ErrorAck   the conversation with `user_name`
                                                (made on first use; its key is `room.key`)
  `rooms` (no payload) -> RoomsAck | ErrorAck   the user's rooms with unread counts, and every
                                                public room
HTTP (api/files.py): `POST /api/rooms/{room}/files` with `Authorization: Bearer <token>` and a
multipart body (`file`, repeatable; optional `text`) -> 201 {ok, message} (a MessageEvent whose
`attachments` carry `url` and, for images, `thumbnail_url`); 413 over the size limit. A GET of
either URL with the same header answers the file to whoever may read the room, 403 or 404 to
anyone else.
  `mark_read` MarkReadRequest -> OkAck | ErrorAck    the user has read `room` up to `message_id`
  `edit` EditRequest -> MessageAck | ErrorAck   new text for one of your messages
  `delete` DeleteRequest -> MessageAck | ErrorAck    delete one of your messages (a stub stays)
  `react` ReactRequest -> MessageAck | ErrorAck      toggle your `emoji` on a message
  `chat_user_input` str (the seed console's event): no ack; answers come as `server_answer`
Moderation (api/moderation_requests.py; refusals of permission are `forbidden`):
  `create_room` CreateRoomRequest {name, private}   `private`: an invite-only room
  `invite` InviteRequest -> RoomAck   `mute` MuteRequest -> MuteAck   `unmute`, `kick`,
  `transfer` MemberRequest -> OkAck   `ban`, `unban` BanRequest -> OkAck (no room: the chat)
  `banned` MembersRequest | none -> BannedAck   `slow_mode` SlowModeRequest -> RoomAck
  `set_role` SetRoleRequest -> OkAck   `archive` ArchiveRequest -> RoomAck
  `members` MembersRequest -> MembersAck   `report` ReportRequest -> ReportAck
  `reports` ReportsRequest -> ReportsAck (admins)   `resolve_report` ResolveReportRequest ->
  ReportAck (admins)   `audit_log` AuditLogRequest -> AuditLogAck (admins)
Server to client (only about rooms the client's user is in):
  `message` MessageEvent     every message stored in the user's rooms (its own too: de-duplicate
                             by `id`)
  `message_changed` MessageChangedEvent   a message was edited, deleted or reacted to: its whole
                             new state; apply it only if `revision` is above the one you have
  `membership` MembershipEvent   the user joined or left a room (in this or another client), or
                             someone opened a direct conversation with them
  `room_created` RoomCreatedEvent   a new public room exists
  `presence` PresenceEvent   a user came online or went offline
  `typing` TypingEvent       someone is typing in a room (at most one per user per 2 s)
  `server_answer` str        to seed-console clients: the seed's answer, then #general's messages
  `moderation` ModerationEvent   the user (or a member of a room they are in) was muted,
                             unmuted, kicked, banned, given a role
  `room_changed` RoomChangedEvent   a room was archived or its slow mode changed
  `signed_out` SignedOutEvent   the session the client joined with ended (signed out here or
                             elsewhere, a new password, a revoked access token): the client has
                             left the chat, and every request but sign_up, sign_in and join is
                             refused as `unauthorized` until it joins again

Versions: fields are only ever added, with defaults, so a version-1 client reads every event
(MessageEvent gained `revision`, `edited`, `deleted` and `reactions` with rooms).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from flet_chat.core.attachments import AttachmentLinks
from flet_chat.core.limits import (
    HISTORY_PAGE_SIZE,
    MAX_AUDIT_PAGE,
    MAX_EMOJI_LENGTH,
    MAX_MESSAGE_ID,
    MAX_MESSAGE_LENGTH,
    MAX_MUTE_MINUTES,
    MAX_NAME_LENGTH,
    MAX_PASSWORD_LENGTH,
    MAX_REASON_LENGTH,
    MAX_ROOM_KEY_LENGTH,
    MAX_SEARCH_LENGTH,
    MAX_SLOW_MODE_SECONDS,
)
from flet_chat.core.models import (
    Attachment,
    AuthorKind,
    Message,
    MessageKind,
    Room,
    RoomKind,
    RoomRole,
    RoomState,
)
from flet_chat.core.moderation_models import (
    AuditEntry,
    ModerationAction,
    Report,
    ReportResolution,
)
from flet_chat.core.room_service import title_for

# Room names are validated by core/rooms.py; this only bounds what a client may send. A direct
# conversation's key holds both names, so it is longer than any public room's name.
RoomName = Field(default=None, max_length=MAX_ROOM_KEY_LENGTH)


# A message's id as a client may name it: the databases' ids are 64-bit signed integers, and a
# bigger number (the databases refuse to compare with it) names no message.
MessageId = Annotated[int, Field(gt=0, le=MAX_MESSAGE_ID)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A name as typed: the core cleans it (spaces, NFKC) and allows MAX_NAME_LENGTH characters after;
# this only bounds what a client may send.
RawName = Field(max_length=256)


class JoinRequest(Request):
    room: str | None = RoomName
    name: str | None = Field(default=None, max_length=256)
    # A session token (sign_up, sign_in, an earlier JoinAck), a personal access token, a bot
    # token from FLET_CHAT_BOT_TOKENS, or a signed identity token from before accounts.
    token: str | None = Field(default=None, min_length=1, max_length=1024)


class SignUpRequest(Request):
    name: str = RawName
    # The core says what a password needs (length, not a common one, not the name).
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)


class SignInRequest(Request):
    name: str = RawName
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)


class SignOutRequest(Request):
    everywhere: bool = False  # every browser and API session of the account, not only this one


class SignedInAck(BaseModel):
    ok: Literal[True] = True
    token: str  # a session token: `join` with it; shown once, the server keeps only its hash
    user_name: str  # the name as the account spells it


class SignedOutEvent(BaseModel):
    type: Literal["signed_out"] = "signed_out"
    version: Literal[1] = 1
    reason: str  # what to show the user


class SendRequest(Request):
    room: str | None = RoomName
    # Length and characters are checked by the ChatService, with the messages users see.
    text: str = Field(max_length=MAX_MESSAGE_LENGTH * 2)
    client_id: str = Field(min_length=1, max_length=64)


class TypingRequest(Request):
    room: str | None = RoomName


class TypingAck(BaseModel):
    ok: Literal[True] = True


class HistoryRequest(Request):
    room: str | None = RoomName
    before: MessageId | None = None
    limit: int = Field(default=HISTORY_PAGE_SIZE, ge=1, le=HISTORY_PAGE_SIZE)


class SearchRequest(Request):
    # The core says what a query may hold (MAX_SEARCH_LENGTH, words); this bounds what is read.
    q: str = Field(max_length=MAX_SEARCH_LENGTH * 2)
    room: str | None = RoomName
    before: MessageId | None = None


class ReactionInfo(BaseModel):
    emoji: str
    users: list[str]  # in the order they reacted


class AttachmentInfo(BaseModel):
    """A file of a message. `url` (and an image's `thumbnail_url`) expire after an hour: a GET
    needs the same `Authorization: Bearer <token>` the client joined with; history answers carry
    fresh ones."""

    id: str
    name: str
    size: int
    content_type: str
    url: str | None = None
    thumbnail_url: str | None = None

    @classmethod
    def of(cls, attachment: Attachment, links: AttachmentLinks | None) -> AttachmentInfo:
        info = cls(
            id=attachment.id,
            name=attachment.name,
            size=attachment.size,
            content_type=attachment.content_type,
        )
        if links is not None:
            info.url, info.thumbnail_url = links.url, links.thumbnail_url
        return info


LinkMaker = Callable[[Attachment], AttachmentLinks]


class MessageEvent(BaseModel):
    type: Literal["message"] = "message"
    version: Literal[1] = 1
    room: str
    id: int
    kind: MessageKind
    author_kind: AuthorKind
    user_name: str
    text: str
    created_at: datetime
    # With rooms: changes since the message was posted (see MessageChangedEvent).
    revision: int = 0
    edited: bool = False
    deleted: bool = False  # `text` is empty: show a "message deleted" stub
    reactions: list[ReactionInfo] = []
    attachments: list[AttachmentInfo] = []
    # With moderation: deleted by a moderator, not its author ("removed by a moderator").
    removed_by_moderator: bool = False

    @classmethod
    def of(cls, message: Message, room: str | None = None, links: LinkMaker | None = None) -> Self:
        return cls(
            room=room or message.room,
            id=message.id,
            kind=message.kind,
            author_kind=message.author_kind,
            user_name=message.user_name,
            text=message.text,
            created_at=message.created_at,
            revision=message.revision,
            edited=message.edited,
            deleted=message.deleted,
            reactions=[ReactionInfo(emoji=r.emoji, users=list(r.users)) for r in message.reactions],
            attachments=[
                AttachmentInfo.of(a, None if links is None else links(a))
                for a in message.attachments
            ],
            removed_by_moderator=message.removed_by_moderator,
        )


class MessageChangedEvent(MessageEvent):
    type: Literal["message_changed"] = "message_changed"  # type: ignore[assignment]


class RoomInfo(BaseModel):
    key: str  # what requests name the room by
    kind: RoomKind  # public, private (invite-only) or direct
    title: str  # "#dev", or "@Bob" (the other person) for a direct conversation
    members: list[str] = []  # a direct conversation's two people
    # With moderation: read-only and hidden from non-members; one message per that many
    # seconds per member (0: off).
    archived: bool = False
    slow_mode_seconds: int = 0

    @classmethod
    def of(cls, room: Room, me: str | None) -> RoomInfo:
        return cls(
            key=room.key,
            kind=room.kind,
            title=title_for(room, me),
            members=list(room.members),
            archived=room.archived,
            slow_mode_seconds=room.slow_mode_seconds,
        )


class RoomStateInfo(RoomInfo):
    unread: int  # counted up to UNREAD_CAP (show "99+" from there)
    mentioned: bool  # an unread message mentions the user
    role: RoomRole | None = None  # the user's: owner, moderator, member (None: #general, DMs)
    muted_until: datetime | None = None  # the user cannot post there before (may be past)

    @classmethod
    def of_state(cls, state: RoomState, me: str) -> RoomStateInfo:
        room = state.room
        return cls(
            key=room.key,
            kind=room.kind,
            title=title_for(room, me),
            members=list(room.members),
            archived=room.archived,
            slow_mode_seconds=room.slow_mode_seconds,
            unread=state.unread,
            mentioned=state.mentioned,
            role=state.role,
            muted_until=state.muted_until,
        )


class MembershipEvent(BaseModel):
    type: Literal["membership"] = "membership"
    version: Literal[1] = 1
    room: RoomInfo
    user_name: str
    joined: bool


class RoomCreatedEvent(BaseModel):
    type: Literal["room_created"] = "room_created"
    version: Literal[1] = 1
    room: RoomInfo


class PresenceEvent(BaseModel):
    type: Literal["presence"] = "presence"
    version: Literal[1] = 1
    room: str
    user_name: str
    online: bool


class TypingEvent(BaseModel):
    type: Literal["typing"] = "typing"
    version: Literal[1] = 1
    room: str
    user_name: str


ErrorCode = Literal[
    "invalid",
    "unknown_room",
    "not_joined",
    "name_taken",
    "unauthorized",
    "rate_limited",
    "unavailable",
    # Added with rooms: not your message to edit or delete. With moderation: not a
    # moderator (owner, admin) there, muted, banned, or the room is archived.
    "forbidden",
]


class ErrorBody(BaseModel):
    code: ErrorCode
    message: str


class ErrorAck(BaseModel):
    ok: Literal[False] = False
    error: ErrorBody


class JoinAck(BaseModel):
    ok: Literal[True] = True
    room: str
    user_name: str
    author_kind: AuthorKind
    # The session token: join with it later to be the same user (another connection, a
    # reconnect); None for a bot.
    token: str | None
    topic: str | None  # set with /topic
    messages: list[MessageEvent]
    has_older: bool
    # Added with rooms: the room joined, as a room list shows it.
    room_info: RoomInfo | None = None


class SendAck(BaseModel):
    ok: Literal[True] = True
    # The stored message; None when the text was a command that posted nothing of the caller's.
    message: MessageEvent | None = None
    # A command's private answer (unknown command, /help): only this client gets it.
    hint: str | None = None


class HistoryAck(BaseModel):
    ok: Literal[True] = True
    room: str
    messages: list[MessageEvent]
    has_older: bool


class SearchAck(BaseModel):
    ok: Literal[True] = True
    terms: list[str]  # the words looked for, lowercased (to highlight them in the results)
    results: list[MessageEvent]  # newest first
    has_more: bool  # older results exist: ask again with `before` = the last result's id


class RoomRequest(Request):
    room: str = Field(min_length=1, max_length=MAX_ROOM_KEY_LENGTH)


class CreateRoomRequest(Request):
    name: str = Field(min_length=1, max_length=64)
    private: bool = False  # invite-only: not listed, not joinable, readable by members only


class OpenDirectRequest(Request):
    user_name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH * 2)


class MarkReadRequest(Request):
    room: str | None = RoomName
    message_id: MessageId


class EditRequest(Request):
    message_id: MessageId
    text: str = Field(max_length=MAX_MESSAGE_LENGTH * 2)


class DeleteRequest(Request):
    message_id: MessageId


class ReactRequest(Request):
    message_id: MessageId
    emoji: str = Field(min_length=1, max_length=MAX_EMOJI_LENGTH * 2)


class OkAck(BaseModel):
    ok: Literal[True] = True


class RoomAck(BaseModel):
    ok: Literal[True] = True
    room: RoomInfo


class JoinRoomAck(BaseModel):
    ok: Literal[True] = True
    room: RoomInfo
    topic: str | None
    messages: list[MessageEvent]  # the newest page
    has_older: bool


class RoomsAck(BaseModel):
    ok: Literal[True] = True
    rooms: list[RoomStateInfo]  # #general first, then the user's other rooms by key
    public: list[RoomInfo]  # every public room, to join


class MessageAck(BaseModel):
    ok: Literal[True] = True
    message: MessageEvent


class WebhookMessage(Request):
    """POST /api/rooms/{room}/messages body."""

    text: str = Field(max_length=MAX_MESSAGE_LENGTH * 2)
    # Shown as the author, with an APP badge.
    name: str = Field(default="Webhook", max_length=256)
    client_id: str | None = Field(default=None, min_length=1, max_length=64)


# -- moderation (api/moderation_requests.py) ---------------------------------------------------

UserName = Field(min_length=1, max_length=MAX_NAME_LENGTH * 2)
RoomKey = Field(min_length=1, max_length=MAX_ROOM_KEY_LENGTH)
# The core says what a reason may hold (MAX_REASON_LENGTH, one line); this bounds what is read.
Reason = Field(default=None, max_length=MAX_REASON_LENGTH * 2)


class InviteRequest(Request):
    room: str = RoomKey
    user_name: str = UserName


class MuteRequest(Request):
    room: str = RoomKey
    user_name: str = UserName
    minutes: int = Field(ge=1, le=MAX_MUTE_MINUTES)
    reason: str | None = Reason


class MemberRequest(Request):
    """unmute, kick, transfer: a room and one of its members."""

    room: str = RoomKey
    user_name: str = UserName
    reason: str | None = Reason  # kept in the audit log (kick)


class BanRequest(Request):
    user_name: str = UserName
    room: str | None = RoomName  # omitted: banned from the whole chat (admins only)
    reason: str | None = Reason


class SlowModeRequest(Request):
    room: str = RoomKey
    seconds: int = Field(ge=0, le=MAX_SLOW_MODE_SECONDS)  # 0: off


class SetRoleRequest(Request):
    room: str = RoomKey
    user_name: str = UserName
    role: Literal[RoomRole.MODERATOR, RoomRole.MEMBER]


class ArchiveRequest(Request):
    room: str = RoomKey
    archived: bool = True  # False brings the room back


class ReportRequest(Request):
    message_id: MessageId
    reason: str = Field(max_length=MAX_REASON_LENGTH * 2)


class ReportsRequest(Request):
    limit: int = Field(default=50, ge=1, le=MAX_AUDIT_PAGE)


class ResolveReportRequest(Request):
    report_id: MessageId
    action: ReportResolution
    minutes: int | None = Field(default=None, ge=1, le=MAX_MUTE_MINUTES)  # for `mute`
    reason: str | None = Reason


class AuditLogRequest(Request):
    limit: int = Field(default=50, ge=1, le=MAX_AUDIT_PAGE)
    before: MessageId | None = None


class MembersRequest(Request):
    room: str = RoomKey


class MuteAck(BaseModel):
    ok: Literal[True] = True
    until: datetime


class MemberInfo(BaseModel):
    user_name: str
    role: RoomRole
    muted_until: datetime | None = None


class MembersAck(BaseModel):
    ok: Literal[True] = True
    room: str
    members: list[MemberInfo]


class BannedAck(BaseModel):
    ok: Literal[True] = True
    banned: list[str]


class ReportInfo(BaseModel):
    id: int
    message_id: int
    room: str
    reporter: str
    reason: str
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: ReportResolution | None = None

    @classmethod
    def of(cls, report: Report) -> ReportInfo:
        return cls.model_validate(report, from_attributes=True)  # the same fields, by name


class ReportAck(BaseModel):
    ok: Literal[True] = True
    report: ReportInfo


class OpenReportInfo(BaseModel):
    report: ReportInfo
    message: MessageEvent | None  # None if it is gone from the store
    context: list[MessageEvent]  # the messages around it, oldest first (it among them)


class ReportsAck(BaseModel):
    ok: Literal[True] = True
    reports: list[OpenReportInfo]  # the oldest open reports first


class AuditEntryInfo(BaseModel):
    id: int
    at: datetime
    actor: str
    action: ModerationAction
    target_user: str | None
    room: str | None
    message_id: int | None
    reason: str | None
    detail: str | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryInfo:
        return cls.model_validate(entry, from_attributes=True)


class AuditLogAck(BaseModel):
    ok: Literal[True] = True
    entries: list[AuditEntryInfo]  # newest first: page on with `before` = the last one's id


class ModerationEvent(BaseModel):
    """To the user concerned (all their clients) and the room's members: `action` is mute,
    unmute, kick, ban, unban, global_ban, global_unban, set_role or transfer; `room` is "*"
    for the whole chat."""

    type: Literal["moderation"] = "moderation"
    version: Literal[1] = 1
    room: str
    user_name: str
    action: ModerationAction
    until: datetime | None = None  # when a mute ends
    role: RoomRole | None = None  # a new room role (set_role, transfer)


class RoomChangedEvent(BaseModel):
    """A room's settings changed (archived, slow mode): to its members, and for a public room
    to everyone (it leaves the directory when archived)."""

    type: Literal["room_changed"] = "room_changed"
    version: Literal[1] = 1
    room: RoomInfo
