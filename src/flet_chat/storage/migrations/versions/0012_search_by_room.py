"""Search narrowed by room inside the index: a word frequent only in rooms the reader is not in
no longer costs a look at each of its hits (bench.search's "firehose": ~30,000 hits, none
readable, p95 141 ms on SQLite and 144-304 ms on PostgreSQL before this).

SQLite: the FTS5 table gets a second column, `room`, holding one token per message that names
its room ("r" and the key's UTF-8 in hex: a single run of letters and digits, so the tokenizer
keeps it whole, and no two keys share one). A search then MATCHes its words in `text` AND one
of the reader's rooms in `room`, and FTS5 intersects the two lists itself. External content
needs a table or view with every column, so the content is a view over `messages`.

PostgreSQL: the GIN index covers (room, search_vector), through the btree_gin extension (in
PostgreSQL's contrib, "trusted": a database owner may create it). It replaces the index on
search_vector alone, which answers nothing the pair cannot. Without btree_gin (not installed,
or not allowed) nothing changes: the search query is the same either way, only slower on the
firehose case.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

# The token naming a message's room; storage/search_queries.py's room_token() is the same.
_ROOM_TOKEN = "'r' || hex({row}.room)"

_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS messages_fts_update",
    "DROP TRIGGER IF EXISTS messages_fts_delete",
    "DROP TRIGGER IF EXISTS messages_fts_insert",
    "DROP TABLE IF EXISTS messages_fts",
    "DROP VIEW IF EXISTS messages_fts_source",
]
# Same recipe as 0009 (triggers giving FTS5 exactly what it indexed), with the room token.
# The update trigger also fires on a room change, which nothing does today.
_SQLITE_UP = [
    "CREATE VIEW messages_fts_source AS"
    f" SELECT id, text, {_ROOM_TOKEN.format(row='messages')} AS room FROM messages",
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    " text, room, content='messages_fts_source', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')",
    f"""CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, text, room)
        VALUES (new.id, new.text, {_ROOM_TOKEN.format(row="new")});
    END""",
    f"""CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text, room)
        VALUES ('delete', old.id, old.text, {_ROOM_TOKEN.format(row="old")});
    END""",
    f"""CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, room ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text, room)
        VALUES ('delete', old.id, old.text, {_ROOM_TOKEN.format(row="old")});
        INSERT INTO messages_fts(rowid, text, room)
        VALUES (new.id, new.text, {_ROOM_TOKEN.format(row="new")});
    END""",
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
    "INSERT INTO messages_fts(messages_fts) VALUES ('optimize')",
]
# Back to 0009's table and triggers, exactly as it made them.
_SQLITE_DOWN = [
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    " text, content='messages', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')",
    """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END""",
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
    "INSERT INTO messages_fts(messages_fts) VALUES ('optimize')",
]

_POSTGRES_UP = [
    "CREATE INDEX ix_messages_room_search_vector ON messages USING gin (room, search_vector)",
    "DROP INDEX IF EXISTS ix_messages_search_vector",
]
# The extension stays: dropping it could break anything else in the database that uses it.
_POSTGRES_DOWN = [
    "CREATE INDEX IF NOT EXISTS ix_messages_search_vector ON messages USING gin (search_vector)",
    "DROP INDEX IF EXISTS ix_messages_room_search_vector",
]


def upgrade() -> None:
    if _sqlite():
        for statement in [*_SQLITE_DROP, *_SQLITE_UP]:
            op.execute(statement)
    elif _btree_gin(op.get_bind()):
        for statement in _POSTGRES_UP:
            op.execute(statement)
    else:
        log.warning(
            "btree_gin is not available: search keeps its index on words alone"
            " (slower for words frequent only in rooms the reader is not in)"
        )


def downgrade() -> None:
    for statement in [*_SQLITE_DROP, *_SQLITE_DOWN] if _sqlite() else _POSTGRES_DOWN:
        op.execute(statement)


def _btree_gin(bind: Connection) -> bool:
    """Whether btree_gin is installed or could be, creating it if so. A refusal (no privilege)
    is caught inside a savepoint, so the migration's transaction goes on."""
    found = bind.execute(
        text(
            "SELECT installed_version IS NOT NULL FROM pg_available_extensions"
            " WHERE name = 'btree_gin'"
        )
    ).first()
    if found is None:
        return False
    if found[0]:
        return True
    try:
        with bind.begin_nested():
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gin"))
    except DBAPIError:
        return False
    return True


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"
