"""Searching messages by their words, in the rooms the searcher may read.

The rule is history's (RoomService.readable): a public room anyone may read, a direct
conversation only its two people. Without a room, a search covers #general and the rooms the
searcher is in (public rooms joined, their own direct conversations); never anyone else's direct
conversation. A reader who has not joined (a Socket.IO client before `join`) searches #general,
the one room history shows them. The store only filters by the rooms decided here.
"""

from __future__ import annotations

import re
import unicodedata

from flet_chat.core.errors import ValidationError
from flet_chat.core.limits import (
    DEFAULT_ROOM,
    MAX_MESSAGE_ID,
    MAX_SEARCH_LENGTH,
    MAX_SEARCH_TERMS,
    SEARCH_PAGE_SIZE,
)
from flet_chat.core.models import SearchQuery, SearchResults
from flet_chat.core.ports import MessageStore, RoomStore
from flet_chat.core.rate_limit import Action, Origin, RateLimits
from flet_chat.core.room_service import RoomService, no_such_room
from flet_chat.core.rooms import room_key

# Letters and digits: what both databases' tokenizers call a word (an underscore, an apostrophe
# or a hyphen separates words there too), so a term is never anything but a word.
_WORD = re.compile(r"[^\W_]+")
EMPTY_SEARCH = "Type a word to search for."
LONG_SEARCH = f"A search is at most {MAX_SEARCH_LENGTH} characters."
MANY_TERMS = f"Search for at most {MAX_SEARCH_TERMS} words at a time."


def search_terms(raw: str) -> tuple[str, ...]:
    """The distinct words of a query, lowercased, in order; ValidationError if there are none,
    too many, or the query is too long. Quotes, `*`, `-`, `NEAR`, `OR` and the like are not
    syntax here: punctuation separates words and the rest are words like any other."""
    if len(raw) > MAX_SEARCH_LENGTH:
        raise ValidationError(LONG_SEARCH)
    # NFKC: a fullwidth "deploy" (U+FF44...) is "deploy". lower(), not casefold(): the databases'
    # tokenizers lowercase ("ß" stays "ß"), so a casefolded "ss" would match nothing.
    words = _WORD.findall(unicodedata.normalize("NFKC", raw).lower())
    terms = tuple(dict.fromkeys(words))
    if not terms:
        raise ValidationError(EMPTY_SEARCH)
    if len(terms) > MAX_SEARCH_TERMS:
        raise ValidationError(MANY_TERMS)
    return terms


class MessageSearch:
    """`chat.search`: validate, decide the rooms, spend the budget, then ask the store."""

    def __init__(
        self,
        store: MessageStore,
        room_store: RoomStore,
        rooms: RoomService,
        limits: RateLimits,
    ) -> None:
        self._store = store
        self._room_store = room_store
        self._rooms_service = rooms
        self._limits = limits

    async def find(
        self,
        raw_query: str,
        *,
        reader: str | None,
        room: str | None = None,
        before: int | None = None,
        limit: int = SEARCH_PAGE_SIZE,
        origin: Origin | None = None,
    ) -> SearchResults:
        """Messages holding every word of `raw_query`, newest first, in `room` (which `reader`
        must be allowed to read) or in all of the reader's rooms; `before` pages on from the
        last result of the previous page."""
        terms = search_terms(raw_query)
        limit = max(1, min(limit, SEARCH_PAGE_SIZE))
        # Spent before any lookup: trying rooms costs too.
        await self._limits.spend(Action.SEARCH, reader, origin)
        rooms = await self._rooms(reader, room)
        if before is not None and before <= 0:
            return SearchResults(terms, [], has_more=False)  # nothing is older than the first
        if before is not None and before > MAX_MESSAGE_ID:
            before = None  # every message is older: the newest page
        query = SearchQuery(terms, rooms, limit + 1, before)
        found = await self._store.search(query)
        return SearchResults(terms, found[:limit], has_more=len(found) > limit)

    async def _rooms(self, reader: str | None, room: str | None) -> tuple[str, ...]:
        if room is not None:
            key = room_key(room)
            if key == DEFAULT_ROOM:
                return (DEFAULT_ROOM,)
            if reader is None:
                # As history answers: the same refusal whatever the room.
                raise no_such_room(key)
            return ((await self._rooms_service.readable(reader, key)).key,)
        if reader is None:
            return (DEFAULT_ROOM,)
        keys = await self._room_store.room_keys_of(reader)
        return tuple(dict.fromkeys([DEFAULT_ROOM, *keys]))
