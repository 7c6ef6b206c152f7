"""Table definitions. Alembic migrations are the authority on the schema; keep them in step."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

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
    # Chosen by the sending client; a retry with the same id is stored once (migration 0002).
    Column("client_id", String(64), nullable=True),
    # user, bot or integration (migration 0003): a bot's answer must never pass for a person's.
    Column("author_kind", String(16), nullable=False, server_default="user"),
    Index("ux_messages_user_client_id", "user_name", "client_id", unique=True),
    sqlite_autoincrement=True,
)
