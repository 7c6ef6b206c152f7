"""One session's admin view, the route /admin: made when opened, dropped when left. The session
checks `chat.moderation.is_admin` before reading anything (a non-admin or a guest sees "Admins
only" and nothing else); the core checks again on every read and action."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from flet_chat.core.errors import ChatError
from flet_chat.core.moderation import Moderation
from flet_chat.core.moderation_models import ReportResolution
from flet_chat.core.rate_limit import Origin
from flet_chat.ui.clock import FALLBACK, Clock
from flet_chat.ui.views.admin_view import AUDIT, BANNED, REPORTS, AdminView

logger = logging.getLogger(__name__)

ADMIN_ROUTE = "/admin"
AUDIT_PAGE = 50
FAILED = "Could not read that right now. Try again."


class AdminSession:
    def __init__(
        self,
        *,
        moderation: Moderation,
        me: Callable[[], str | None],
        show: Callable[[ft.Control | None], None],
        leave: Callable[[], Awaitable[None]],
        clock: Clock = FALLBACK,
        origin: Origin | None = None,
    ) -> None:
        """`show(control)` puts the view in place of the chat (None: the chat again); `leave`
        goes back to the chat's route."""
        self._moderation = moderation
        self._me = me
        self._show = show
        self._leave = leave
        self._clock = clock
        self._origin = origin
        self.view: AdminView | None = None
        self._section = REPORTS
        self._reads = 0  # sections asked for so far: only the latest one's read is shown
        self._audit_before: int | None = None

    @property
    def is_open(self) -> bool:
        return self.view is not None

    async def open(self) -> None:
        """Show the view (again, read afresh)."""
        view = self.view
        if view is None:
            view = self.view = AdminView(on_back=self._back, on_section=self.show_section)
            self._section = REPORTS
            self._show(view.root)
        me = self._me()
        try:
            admin = me is not None and await self._moderation.is_admin(me)
        except Exception:
            logger.exception("could not tell whether %s is an admin", me)
            admin = False
        if view is not self.view:
            return  # left meanwhile
        if not admin:
            view.refused()
            return self._refresh()
        # The section the admin picked while this was checked, if any (reports by default).
        await self.show_section(self._section)

    def close(self) -> None:
        """Back to the chat: the view and its controls are dropped."""
        if self.view is None:
            return
        self.view = None
        self._show(None)

    async def _back(self, _event: Any) -> None:
        self.close()
        await self._leave()

    async def show_section(self, section: str) -> None:
        view, me = self.view, self._me()
        if view is None or me is None:
            return
        self._section = section
        self._reads += 1
        read = self._reads

        # Not left, and no section picked or read again meanwhile: a slower read of the same
        # section (the view opening while the admin clicks, an action's read after it) must not
        # show what was true before the later one.
        def still_wanted() -> bool:
            return self._reads == read and view is self.view

        try:
            if section == REPORTS:
                reports = await self._moderation.open_reports(me)
                if not still_wanted():
                    return
                view.show_reports(reports, self._clock, self._resolve)
            elif section == AUDIT:
                self._audit_before = None
                await self._show_audit(view, me, still_wanted)
            elif section == BANNED:
                banned = await self._moderation.banned(me)
                if not still_wanted():
                    return
                view.show_banned(banned, self._unban)
            view.show_status(None)
        except ChatError as error:
            view.show_status(str(error))
        except Exception:
            logger.exception("could not read the admin view's %s", section)
            view.show_status(FAILED)
        self._refresh()

    async def _show_audit(
        self, view: AdminView, me: str, still_wanted: Callable[[], bool] = lambda: True
    ) -> None:
        entries = await self._moderation.audit_log(me, limit=AUDIT_PAGE, before=self._audit_before)
        if not still_wanted():
            return
        more = self._older if len(entries) == AUDIT_PAGE else None
        view.show_audit(entries, self._clock, more=more)
        if entries:
            self._audit_before = entries[-1].id

    async def _older(self, _event: Any) -> None:
        view, me = self.view, self._me()
        if view is None or me is None:
            return
        try:
            await self._show_audit(view, me)
        except ChatError as error:
            view.show_status(str(error))
        self._refresh()

    async def _resolve(self, report_id: int, resolution: ReportResolution) -> None:
        await self._act(
            lambda me: self._moderation.resolve(me, report_id, resolution, origin=self._origin)
        )

    async def _unban(self, name: str) -> None:
        await self._act(lambda me: self._moderation.unban(me, name, origin=self._origin))

    async def _act(self, action: Callable[[str], Awaitable[object]]) -> None:
        """Do an action, then read the section again (it changed); a refusal shows on top."""
        view, me = self.view, self._me()
        if view is None or me is None:
            return
        try:
            await action(me)
        except ChatError as error:
            view.show_status(str(error))
            return self._refresh()
        except Exception:
            logger.exception("an admin action failed")
            view.show_status(FAILED)
            return self._refresh()
        await self.show_section(self._section)

    def _refresh(self) -> None:
        if self.view is not None:
            with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
                self.view.root.update()
