"""The search dialog's session side: asks `chat.search` for the words typed (as this user, from
this tab's origin, so the search budget counts), shows the results, pages on with "More
results", and opens a result's room at that message with the messages around it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from flet_chat.core.errors import ChatError
from flet_chat.core.models import Message, SearchResults
from flet_chat.core.rate_limit import Origin
from flet_chat.ui.clock import FALLBACK, Clock
from flet_chat.ui.session.screen import Screen
from flet_chat.ui.views.search_dialog import SearchDialog

logger = logging.getLogger(__name__)

SEARCH_FAILED = "Could not search just now. Try again."


class Searcher(Protocol):
    """What the dialog needs of the core (core/search.py MessageSearch has it)."""

    async def find(
        self,
        raw_query: str,
        *,
        reader: str | None,
        room: str | None = ...,
        before: int | None = ...,
        limit: int = ...,
        origin: Origin | None = ...,
    ) -> SearchResults: ...


class SearchSession:
    def __init__(
        self,
        *,
        search: Searcher,
        screen: Screen,
        me: Callable[[], str | None],
        origin: Origin | None,
        open_at: Callable[[str, int], Awaitable[None]],
        room_title: Callable[[str], str],
        clock: Clock = FALLBACK,
    ) -> None:
        self._search = search
        self._screen = screen
        self._me = me
        self._origin = origin
        self._open_at = open_at
        self._room_title = room_title
        self._clock = clock
        # Made when first opened: most sessions never search, and every control costs memory.
        self.dialog: SearchDialog | None = None
        self._query = ""  # what the results shown were found for ("More results" pages on it)
        self._terms: tuple[str, ...] = ()
        self._busy = False  # Enter pressed twice, or "More" clicked twice: one search at a time

    def _made(self) -> SearchDialog:
        if self.dialog is None:
            self.dialog = SearchDialog(
                on_submit=self.submit, on_more=self.more, on_pick=self.pick, on_close=self.close
            )
        return self.dialog

    async def open(self, _event: Any = None) -> None:
        dialog = self._made()
        self._screen.show_dialog(dialog.dialog)
        await self._screen.focus(dialog.input)

    async def submit(self, event: Any = None) -> None:
        dialog = self._made()
        # As in the composer: the submit event carries the text as it was on Enter.
        data = getattr(event, "data", None)
        query = data if isinstance(data, str) else dialog.query
        found = await self._find(query, before=None)
        if found is not None:
            self._query, self._terms = query, found.terms
            self._show(found, append=False)

    async def more(self, _event: Any = None) -> None:
        dialog = self._made()
        if not dialog.shown or not self._query:
            return
        found = await self._find(self._query, before=dialog.shown[-1].id)
        if found is not None:
            self._show(found, append=True)

    async def pick(self, message: Message) -> None:
        """A result was clicked: its room, at that message."""
        await self.close()
        await self._open_at(message.room, message.id)

    async def close(self, _event: Any = None) -> None:
        if self.dialog is not None:
            self._screen.close_dialog(self.dialog.dialog)

    async def _find(self, query: str, *, before: int | None) -> SearchResults | None:
        dialog = self._made()
        if self._busy:
            return None
        self._busy = True
        try:
            return await self._search.find(
                query, reader=self._me(), before=before, origin=self._origin
            )
        except ChatError as error:
            self._screen.refresh(*dialog.show_error(str(error)))
        except Exception as error:  # the store is away: say so, the user tries again
            logger.warning("search failed: %r", error)
            self._screen.refresh(*dialog.show_error(SEARCH_FAILED))
        finally:
            self._busy = False
        return None

    def _show(self, found: SearchResults, *, append: bool) -> None:
        dialog = self._made()
        shown = dialog.show_results(
            found.messages,
            found.terms,
            has_more=found.has_more,
            room_title=self._room_title,
            clock=self._clock,
            append=append,
        )
        self._screen.refresh(*shown)
