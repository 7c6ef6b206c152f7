"""Full-text search over messages: an FTS5 index on SQLite, a tsvector column and a GIN index
on PostgreSQL, both kept in step with edits and deletes by the database itself, and both filled
from the history already stored.

What is found: chat messages, `/me` and topics that are not deleted (never join or leave
notices). A deleted message's text is gone, and so are its words from the index; an edited one
is found by its new words only.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SEARCHED_KINDS = "('chat', 'action', 'topic')"

# SQLite: an external-content FTS5 table (it keeps only the index; the text stays in
# `messages`) whose rowid is the message's id, kept in step by the triggers SQLite's manual
# gives for such a table. It indexes every row's text, exactly as `messages` holds it (FTS5's
# 'delete' must be given the text that was indexed, and 'rebuild' and 'integrity-check' then
# work): a deleted message's text is empty, so its words are gone; notices are left out by the
# search query, which looks at the row's kind anyway.
# unicode61 with remove_diacritics 2: "cafe" finds "café"; words are runs of letters and digits.
_SQLITE_UP = [
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
    # The history so far, as one merged b-tree (searches read one segment, not hundreds).
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
    "INSERT INTO messages_fts(messages_fts) VALUES ('optimize')",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS messages_fts_update",
    "DROP TRIGGER IF EXISTS messages_fts_delete",
    "DROP TRIGGER IF EXISTS messages_fts_insert",
    "DROP TABLE IF EXISTS messages_fts",
]

# PostgreSQL: a stored generated column, so every insert, edit and delete recomputes it in the
# same statement (nothing to keep in step by hand), and adding it computes it for every row
# already stored. Stored rather than an expression index: a search that walks the newest
# messages first (a common word) reads the column instead of parsing every text again.
# 'simple': words lowercased, no stemming and no stop words, whatever the language.
_POSTGRES_UP = [
    f"""ALTER TABLE messages ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        CASE WHEN kind IN {SEARCHED_KINDS} AND deleted_at IS NULL
        THEN to_tsvector('simple'::regconfig, text) END
    ) STORED""",
    "CREATE INDEX ix_messages_search_vector ON messages USING gin (search_vector)",
    "ANALYZE messages",
]
_POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_messages_search_vector",
    "ALTER TABLE messages DROP COLUMN IF EXISTS search_vector",
]


def upgrade() -> None:
    for statement in _SQLITE_UP if _sqlite() else _POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in _SQLITE_DOWN if _sqlite() else _POSTGRES_DOWN:
        op.execute(statement)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"
