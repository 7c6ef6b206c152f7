"""Table definitions. Alembic migrations are the authority on the schema; keep them in step."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text

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
    sqlite_autoincrement=True,
)
