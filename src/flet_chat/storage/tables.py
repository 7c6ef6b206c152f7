"""Table definitions. Alembic migrations are the authority on the schema; keep them in step."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
    text,
)

from flet_chat.core.limits import MAX_REASON_LENGTH, MAX_ROOM_KEY_LENGTH

metadata = MetaData()

# A casefolded name can be longer than the name (ß is ss); a direct room's key holds two.
USER_KEY_LENGTH = 128
# A name's confusable skeleton (core/names.py): at most 7 characters for each of the 32 of a
# cleaned name.
SKELETON_LENGTH = 512
ROOM_KEY_LENGTH = MAX_ROOM_KEY_LENGTH
PASSWORD_HASH_LENGTH = 255
ATTACHMENT_ID_LENGTH = 32

# SQLite only makes an INTEGER PRIMARY KEY the rowid (and AUTOINCREMENT never reuses ids).
_id_type = BigInteger().with_variant(Integer(), "sqlite")

messages = Table(
    "messages",
    metadata,
    Column("id", _id_type, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("user_name", String(64), nullable=False),
    Column("text", Text(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Chosen by the sending client; a retry with the same id in the same room by the same author
    # (name and kind) is stored once (migrations 0002, 0006).
    Column("client_id", String(64), nullable=True),
    # user, bot or integration (migration 0003): a bot's answer must never pass for a person's.
    Column("author_kind", String(16), nullable=False, server_default="user"),
    # Rooms, edits and deletes (migration 0004).
    Column("room", String(ROOM_KEY_LENGTH), nullable=False, server_default="general"),
    Column("revision", Integer(), nullable=False, server_default="0"),
    Column("edited_at", DateTime(timezone=True), nullable=True),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    # Deleted by a moderator, not its author (migration 0011).
    Column("removed_by_moderator", Boolean(), nullable=False, server_default=false()),
    Index("ux_messages_client_id", "room", "author_kind", "user_name", "client_id", unique=True),
    Index("ix_messages_room_id", "room", "id"),
    # A room's topic is its newest `topic` message: one index seek, however long the history.
    Index("ix_messages_room_kind_id", "room", "kind", "id"),
    sqlite_autoincrement=True,
)

# What search finds (migration 0009): on SQLite the FTS5 table `messages_fts` and its triggers,
# on PostgreSQL the generated column `messages.search_vector` and its GIN index. Neither is
# declared here: nothing reads or writes them but the search queries (storage/sql_store.py).
SEARCHED_KINDS = ("chat", "action", "topic")

# Accounts: every name taken, by a guest (a browser's session is all it has) or a member (a
# password or an identity provider). Nobody else can take the name, nor read its direct
# conversations (core/accounts/).
users = Table(
    "users",
    metadata,
    Column("user_key", String(USER_KEY_LENGTH), primary_key=True),
    Column("user_name", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Unique, so no two claimed names look alike (migration 0007). NULL for a look-alike
    # claimed before that revision: the earlier name keeps the skeleton.
    Column("skeleton", String(SKELETON_LENGTH), nullable=True),
    # Migration 0008: names claimed before accounts are guests.
    Column("kind", String(16), nullable=False, server_default="guest"),
    Column("role", String(16), nullable=False, server_default="member"),
    Column("password_hash", String(PASSWORD_HASH_LENGTH), nullable=True),
    Column("display_name", String(64), nullable=True),
    Column("status", String(160), nullable=True),
    Column("avatar_version", Integer(), nullable=False, server_default="0"),
    Index("ux_users_skeleton", "skeleton", unique=True),
)

# Sign-ins and personal access tokens; a token is kept only as its SHA-256 (core/accounts/tokens).
sessions = Table(
    "sessions",
    metadata,
    Column("id", _id_type, primary_key=True, autoincrement=True),
    Column("user_key", String(USER_KEY_LENGTH), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("label", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Index("ux_sessions_token_hash", "token_hash", unique=True),
    Index("ix_sessions_user_key", "user_key", "kind"),
    sqlite_autoincrement=True,
)

# Re-encoded 128x128 WebP images only (media/avatars.py); never what was uploaded.
avatars = Table(
    "avatars",
    metadata,
    Column("user_key", String(USER_KEY_LENGTH), primary_key=True),
    Column("image", LargeBinary(), nullable=False),
)

# An identity provider's user (its issuer's key and their subject) and the account it signs in.
identities = Table(
    "identities",
    metadata,
    Column("provider", String(64), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("user_key", String(USER_KEY_LENGTH), nullable=False),
    PrimaryKeyConstraint("provider", "subject"),
)

rooms = Table(
    "rooms",
    metadata,
    Column("key", String(ROOM_KEY_LENGTH), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("created_by", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Moderation (migration 0011): kind may be "private"; archived rooms are read-only.
    Column("archived_at", DateTime(timezone=True), nullable=True),
    Column("slow_mode_seconds", Integer(), nullable=False, server_default="0"),
)

# Who is in which room, and how far they have read. #general has everyone without a row; a row
# for it only keeps the read marker.
room_members = Table(
    "room_members",
    metadata,
    Column("room", String(ROOM_KEY_LENGTH), nullable=False),
    Column("user_key", String(USER_KEY_LENGTH), nullable=False),
    Column("user_name", String(64), nullable=False),
    Column("last_read_id", _id_type, nullable=False, server_default="0"),
    Column("joined_at", DateTime(timezone=True), nullable=False),
    # Moderation (migration 0011): owner, moderator or member; muted until when.
    Column("role", String(16), nullable=False, server_default="member"),
    Column("muted_until", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("room", "user_key"),
    Index("ix_room_members_user_key", "user_key"),
)

# Bans from a room, or (room "*") from the whole chat (migration 0011).
room_bans = Table(
    "room_bans",
    metadata,
    Column("room", String(ROOM_KEY_LENGTH), nullable=False),
    Column("user_key", String(USER_KEY_LENGTH), nullable=False),
    Column("user_name", String(64), nullable=False),
    Column("banned_by", String(64), nullable=False),
    Column("reason", String(MAX_REASON_LENGTH), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("room", "user_key"),
)

# Messages reported to the admins; one open report per reporter and message (migration 0011).
reports = Table(
    "reports",
    metadata,
    Column("id", _id_type, primary_key=True, autoincrement=True),
    Column("message_id", _id_type, nullable=False),
    Column("room", String(ROOM_KEY_LENGTH), nullable=False),
    Column("reporter_key", String(USER_KEY_LENGTH), nullable=False),
    Column("reporter", String(64), nullable=False),
    Column("reason", String(MAX_REASON_LENGTH), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("resolved_by", String(64), nullable=True),
    Column("resolution", String(16), nullable=True),
    Index(
        "ux_reports_open",
        "message_id",
        "reporter_key",
        unique=True,
        sqlite_where=text("resolved_at IS NULL"),
        postgresql_where=text("resolved_at IS NULL"),
    ),
    Index("ix_reports_resolved_id", "resolved_at", "id"),
    sqlite_autoincrement=True,
)

# Every moderation action (migration 0011): who, what, to whom, where, why, when.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", _id_type, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target_user", String(64), nullable=True),
    Column("room", String(ROOM_KEY_LENGTH), nullable=True),
    Column("message_id", _id_type, nullable=True),
    Column("reason", String(MAX_REASON_LENGTH), nullable=True),
    Column("detail", String(128), nullable=True),
    sqlite_autoincrement=True,
)

reactions = Table(
    "reactions",
    metadata,
    Column("message_id", _id_type, nullable=False),
    Column("emoji", String(64), nullable=False),
    Column("user_key", String(USER_KEY_LENGTH), nullable=False),
    Column("user_name", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("message_id", "emoji", "user_key"),
)

mentions = Table(
    "mentions",
    metadata,
    Column("message_id", _id_type, nullable=False),
    Column("room", String(ROOM_KEY_LENGTH), nullable=False),
    Column("user_key", String(USER_KEY_LENGTH), nullable=False),
    PrimaryKeyConstraint("message_id", "user_key"),
    Index("ix_mentions_user_room_message", "user_key", "room", "message_id"),
)

# Files sent with a message (migration 0010); their bytes are in the blob store under the id
# (core/attachments.blob_key). Deleting the message deletes these rows and the blobs.
attachments = Table(
    "attachments",
    metadata,
    Column("id", String(ATTACHMENT_ID_LENGTH), primary_key=True),
    Column("message_id", _id_type, nullable=False),
    Column("position", Integer(), nullable=False),
    Column("name", String(255), nullable=False),
    Column("size", BigInteger(), nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("has_thumbnail", Boolean(), nullable=False, server_default=false()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_attachments_message_id", "message_id", "position"),
)
