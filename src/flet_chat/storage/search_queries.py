"""The full-text search queries behind SqlStore.search: FTS5 on SQLite, tsvector on PostgreSQL
(migrations 0009 and 0012). Both run in two steps for the same reason: the word and the reader's
rooms are independent to the database, so one query shape cannot be right both for a word
common where the reader reads and for one common only where they do not (bench.search's
"firehose", the worst case)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Row, TextClause, bindparam, column, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import TextualSelect

from flet_chat.core.limits import MAX_MESSAGE_ID
from flet_chat.core.models import SearchQuery
from flet_chat.storage.tables import SEARCHED_KINDS, messages

# The first step's bound. PostgreSQL: the newest messages searched by walking the primary key
# backwards. SQLite: the newest hits of the words looked up one by one.
POSTGRES_WINDOW = 10_000
SQLITE_WINDOW = 1_000


def fts5_query(terms: Sequence[str]) -> str:
    """An FTS5 query for rows holding every term: each one a quoted string (a `"` doubled, as
    FTS5 escapes it), so no user text is ever FTS5 syntax (`*`, `-`, `NEAR`, `OR`, `^`, `:`)."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def room_token(room: str) -> str:
    """The FTS5 token naming a room (migration 0012's `'r' || hex(room)`)."""
    return "r" + room.encode().hex().upper()


def _words_match(terms: Sequence[str]) -> str:
    # The words in the text column only: a room's token is never a word of a message.
    return "{text} : (" + fts5_query(terms) + ")"


def _rooms_match(terms: Sequence[str], rooms: Sequence[str]) -> str:
    tokens = " OR ".join(f'"{room_token(room)}"' for room in rooms)
    return f"{_words_match(terms)} AND {{room}} : ({tokens})"


# CROSS JOIN makes SQLite read the index first, newest rowid first (FTS5 walks its doclists
# backwards and stops at the LIMIT), and only then look each hit's room and kind up. Each row
# carries the floor below, so a first step that found anything needs no second statement to
# learn whether there is more to search.
_SQLITE_SEARCH = (
    "SELECT "
    + ", ".join(f"m.{c.name}" for c in messages.c)
    + ", {floor} AS floor FROM messages_fts CROSS JOIN messages AS m ON m.id = messages_fts.rowid"
    " WHERE messages_fts MATCH :match AND {rowids}"
    " AND m.room IN :rooms AND m.kind IN :kinds AND m.deleted_at IS NULL"
    " ORDER BY messages_fts.rowid DESC LIMIT :limit"
)
# The words' `window`-th newest hit (0 if they have fewer): only their doclists are read, no
# row. A subquery, not a statement of its own: each statement is a trip to aiosqlite's thread.
_SQLITE_FLOOR = (
    "coalesce((SELECT rowid FROM messages_fts WHERE messages_fts MATCH :words"
    " AND rowid < :before ORDER BY rowid DESC LIMIT 1 OFFSET :skip), 0)"
)


def _sqlite_statement(rowids: str, floor: str) -> TextualSelect:
    statement = text(_SQLITE_SEARCH.format(rowids=rowids, floor=floor)).bindparams(
        bindparam("rooms", expanding=True), bindparam("kinds", expanding=True)
    )
    # Typed like the table's columns (SQLite keeps times as text: the table's type reads them).
    return statement.columns(*messages.c, column("floor", Integer))


_SQLITE_NEWEST_HITS = _sqlite_statement(
    f"messages_fts.rowid < :before AND messages_fts.rowid >= {_SQLITE_FLOOR}", _SQLITE_FLOOR
)
_SQLITE_OLDER_IN_ROOMS = _sqlite_statement(f"messages_fts.rowid < {_SQLITE_FLOOR}", "0")


async def search_sqlite(
    conn: AsyncConnection, query: SearchQuery, window: int = SQLITE_WINDOW
) -> list[Row[Any]]:
    """First the words' newest `window` hits, each looked up (fast while they are few or
    readable: a rare word, or a common one that fills the page); then, if the page is not
    full, the older hits that FTS5 itself finds in the reader's rooms (the room token, migration
    0012). Asking for the rooms from the start would cost every query a walk of the rooms'
    long doclists (a rare word: 0.2 -> 6 ms over a million messages); the first step alone
    costs a look at every hit of a word frequent where the reader is not (firehose: ~50 ms)."""
    words = _words_match(query.terms)
    params: dict[str, Any] = {
        "words": words,
        "before": MAX_MESSAGE_ID if query.before is None else query.before,
        "skip": max(window - 1, 0),
        "rooms": list(query.rooms),
        "kinds": list(SEARCHED_KINDS),
    }
    newest = await conn.execute(
        _SQLITE_NEWEST_HITS, {**params, "match": words, "limit": query.limit}
    )
    rows = list(newest.all())
    if len(rows) >= query.limit or (rows and rows[0].floor == 0):
        return rows  # a full page, or every hit looked at (fewer than the window)
    # Below the floor (none when it is 0: the words have fewer hits than the window).
    older = await conn.execute(
        _SQLITE_OLDER_IN_ROOMS,
        {
            **params,
            "match": _rooms_match(query.terms, query.rooms),
            "limit": query.limit - len(rows),
        },
    )
    return [*rows, *older.all()]


def _tsquery_matches(words: str, name: str) -> TextClause:
    # plainto_tsquery reads its text as plain words joined by AND: no operator survives it.
    return text(f"search_vector @@ plainto_tsquery('simple'::regconfig, :{name})").bindparams(
        **{name: words}
    )


async def search_postgres(
    conn: AsyncConnection, query: SearchQuery, window: int = POSTGRES_WINDOW
) -> list[Row[Any]]:
    """Left to itself, `ORDER BY id DESC LIMIT n` walks the primary key backwards, filtering,
    which is right for a word common in the reader's rooms and a disaster for one common only
    in rooms they are not in (it read all million rows: 0.6 to 1.3 s in bench.search). So:
    first the newest `window` messages that way (a bounded walk, which fills the page for
    common words), then, if the page is not full, the older ones in the reader's rooms from the
    GIN index on (room, search_vector) (migration 0012; materialized, so the planner cannot
    turn it back into the walk): as costly as the word is frequent in those rooms, where it
    did not fill a page among the newest ten thousand. Before 0012's index the room was
    filtered after the index, looking at every hit (firehose: 111-300 ms)."""
    words = " ".join(query.terms)
    wanted = (
        messages.c.room.in_(query.rooms),
        messages.c.kind.in_(SEARCHED_KINDS),
        messages.c.deleted_at.is_(None),
    )
    older_than = () if query.before is None else (messages.c.id < query.before,)
    # Ids only grow (one sequence for every room): the newest `window` ids are the window, and
    # the newest id is one index lookup (an OFFSET would walk `window` index entries).
    newest_id = (
        query.before - 1
        if query.before is not None
        else (await conn.execute(select(func.max(messages.c.id)))).scalar_one() or 0
    )
    floor = newest_id - window if newest_id > window else None
    recent = (
        select(messages)
        .where(_tsquery_matches(words, "recent_words"), *wanted, *older_than)
        .order_by(messages.c.id.desc())
        .limit(query.limit)
    )
    if floor is not None:
        recent = recent.where(messages.c.id > floor)
    rows = list((await conn.execute(recent)).all())
    if floor is None or len(rows) >= query.limit:
        return rows
    # A plan for these words and rooms, never a generic one: asyncpg prepares each statement,
    # and after five runs PostgreSQL may keep a plan made without the values, which guessed
    # the rooms rare and ANDed the GIN index with a btree walk of all their rows (bench.search
    # at 300,000 messages: rare and mid words 12 -> 32 ms at the median).
    await conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    hits = (
        select(messages.c.id)
        .where(_tsquery_matches(words, "older_words"), *wanted, messages.c.id <= floor)
        .cte("hits")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    newest = select(hits.c.id).order_by(hits.c.id.desc()).limit(query.limit - len(rows)).subquery()
    older = (
        select(messages).join(newest, messages.c.id == newest.c.id).order_by(messages.c.id.desc())
    )
    return [*rows, *(await conn.execute(older)).all()]
