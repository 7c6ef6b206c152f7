"""The admin view (the route /admin): open reports with the reported message in context and
what can be done about each, the audit log page by page, and the users banned from the chat.
Built when opened, dropped when left: a session holds none of it otherwise.

Pure controls: the data comes in already read and every button is a callback of
ui/session/admin.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import flet as ft

from flet_chat.core.models import Message
from flet_chat.core.moderation_models import (
    EVERYWHERE,
    AuditEntry,
    ModerationAction,
    OpenReport,
    ReportResolution,
)
from flet_chat.ui import keys
from flet_chat.ui.clock import Clock, full_timestamp, time_text
from flet_chat.ui.controls.chat_message import deleted_text
from flet_chat.ui.theme import BORDER_COLOR, NOTICE_COLOR

ADMINS_ONLY = "Admins only"
REPORTS, AUDIT, BANNED = "reports", "audit", "banned"
SECTIONS = ((REPORTS, "Open reports"), (AUDIT, "Audit log"), (BANNED, "Banned users"))
# (label, resolution): what an admin may do with a report.
RESOLUTIONS = (
    ("Dismiss", ReportResolution.DISMISS),
    ("Remove message", ReportResolution.DELETE),
    ("Mute 1 h", ReportResolution.MUTE),
    ("Ban from room", ReportResolution.BAN),
    ("Ban from chat", ReportResolution.GLOBAL_BAN),
)
HIGHLIGHT = ft.Colors.with_opacity(0.18, ft.Colors.AMBER)

Handler = Callable[[Any], Awaitable[None]]
Resolve = Callable[[int, ReportResolution], Awaitable[None]]


# What each action reads as in the log ("Alice muted Bob in #dev").
VERBS = {
    ModerationAction.REMOVE_MESSAGE: "removed a message of",
    ModerationAction.MUTE: "muted",
    ModerationAction.UNMUTE: "unmuted",
    ModerationAction.KICK: "kicked",
    ModerationAction.BAN: "banned",
    ModerationAction.UNBAN: "unbanned",
    ModerationAction.GLOBAL_BAN: "banned",
    ModerationAction.GLOBAL_UNBAN: "unbanned",
    ModerationAction.SLOW_MODE: "set slow mode",
    ModerationAction.SET_ROLE: "changed the role of",
    ModerationAction.TRANSFER: "gave ownership to",
    ModerationAction.ARCHIVE: "archived",
    ModerationAction.UNARCHIVE: "unarchived",
    ModerationAction.INVITE: "invited",
    ModerationAction.RESOLVE_REPORT: "resolved a report on",
}


def audit_line(entry: AuditEntry, clock: Clock) -> str:
    """ "Saturday 28 November 2026, 7:45:02 PM: Alice muted Bob in #dev (60 min): spam"."""
    verb = VERBS.get(entry.action, entry.action.value)
    parts = [f"{full_timestamp(entry.at, clock)}: {entry.actor} {verb}"]
    if entry.target_user:
        parts.append(entry.target_user)
    if entry.room == EVERYWHERE:
        parts.append("from the chat")
    elif entry.room:
        of_room = entry.action in (ModerationAction.ARCHIVE, ModerationAction.UNARCHIVE)
        parts.append(f"#{entry.room}" if of_room else f"in #{entry.room}")
    if entry.message_id is not None:
        parts.append(f"(message {entry.message_id})")
    if entry.action is ModerationAction.MUTE and (entry.detail or "").endswith(" min"):
        minutes = (entry.detail or "").removesuffix(" min")
        if minutes.isdigit():  # until when, in the viewer's clock
            until = entry.at + timedelta(minutes=int(minutes))
            parts.append(f"({entry.detail}, until {time_text(until, clock)})")
        else:
            parts.append(f"({entry.detail})")
    elif entry.detail:
        parts.append(f"({entry.detail})")
    line = " ".join(parts)
    return f"{line}: {entry.reason}" if entry.reason else line


def context_line(message: Message, clock: Clock) -> str:
    text = deleted_text(message) if message.deleted else message.text
    return f"{time_text(message.created_at, clock)} {message.user_name}: {text}"


class AdminView:
    def __init__(self, *, on_back: Handler, on_section: Callable[[str], Awaitable[None]]) -> None:
        async def back(event: Any) -> None:
            await on_back(event)

        def section_button(section: str, label: str) -> ft.Control:
            async def choose(_event: Any) -> None:
                await on_section(section)

            return ft.TextButton(content=label, key=keys.admin_section(section), on_click=choose)

        self.status = ft.Text(key=keys.ADMIN_STATUS, color=ft.Colors.ERROR, visible=False)
        self.body = ft.Column(
            key=keys.ADMIN_BODY, spacing=8, scroll=ft.ScrollMode.AUTO, expand=True
        )
        self.sections = ft.Row([section_button(s, label) for s, label in SECTIONS], wrap=True)
        self.root = ft.Container(
            key=keys.ADMIN_VIEW,
            expand=True,
            padding=10,
            content=ft.Column(
                [
                    ft.Row(
                        [
                            ft.Text("Admin", size=20, weight=ft.FontWeight.BOLD, expand=True),
                            ft.TextButton(
                                content="Back to chat", key=keys.ADMIN_BACK, on_click=back
                            ),
                        ]
                    ),
                    self.sections,
                    self.status,
                    self.body,
                ],
                expand=True,
            ),
        )

    def refused(self) -> None:
        """Not an admin: "Admins only", and nothing else of the view."""
        self.sections.visible = False
        self.body.controls = [ft.Text(ADMINS_ONLY, key=keys.ADMINS_ONLY, size=18)]

    def show_status(self, text: str | None) -> None:
        self.status.value, self.status.visible = text or "", bool(text)

    def show_reports(self, reports: Sequence[OpenReport], clock: Clock, resolve: Resolve) -> None:
        if not reports:
            self.body.controls = [ft.Text("No open reports.", key=keys.ADMIN_EMPTY)]
            return
        self.body.controls = [self._report(r, clock, resolve) for r in reports]

    def _report(self, open_report: OpenReport, clock: Clock, resolve: Resolve) -> ft.Control:
        report = open_report.report
        header = (
            f"Reported by {report.reporter}, {full_timestamp(report.created_at, clock)}, "
            f"in #{report.room}"
        )
        lines: list[ft.Control] = [
            ft.Text(header, weight=ft.FontWeight.BOLD),
            ft.Text(f"Reason: {report.reason}", key=keys.report_reason(report.id)),
        ]
        context = open_report.context or (
            (open_report.message,) if open_report.message is not None else ()
        )
        for message in context:
            reported = message.id == report.message_id
            lines.append(
                ft.Container(
                    key=keys.report_message(report.id) if reported else None,
                    bgcolor=HIGHLIGHT if reported else None,
                    padding=ft.Padding.symmetric(horizontal=4, vertical=2),
                    content=ft.Text(
                        context_line(message, clock),
                        weight=ft.FontWeight.BOLD if reported else None,
                        color=None if reported else NOTICE_COLOR,
                    ),
                )
            )
        if not context:
            lines.append(ft.Text("The message is gone.", color=NOTICE_COLOR))

        def button(label: str, resolution: ReportResolution) -> ft.Control:
            async def run(_event: Any) -> None:
                await resolve(report.id, resolution)

            return ft.OutlinedButton(
                content=label, key=keys.resolve_report(report.id, resolution.value), on_click=run
            )

        lines.append(ft.Row(wrap=True, controls=[button(label, r) for label, r in RESOLUTIONS]))
        return ft.Container(
            key=keys.report_card(report.id),
            border=ft.Border.all(1, BORDER_COLOR),
            border_radius=5,
            padding=8,
            content=ft.Column(lines, spacing=4),
        )

    def show_audit(
        self, entries: Sequence[AuditEntry], clock: Clock, *, more: Handler | None
    ) -> None:
        rows: list[ft.Control] = [
            ft.Text(audit_line(entry, clock), key=keys.audit_entry(entry.id), selectable=False)
            for entry in entries
        ]
        if not rows:
            rows = [ft.Text("Nothing has been moderated yet.", key=keys.ADMIN_EMPTY)]
        if more is not None:
            rows.append(ft.TextButton(content="Older", key=keys.AUDIT_OLDER, on_click=more))
        self.body.controls = rows

    def show_banned(self, names: Sequence[str], unban: Callable[[str], Awaitable[None]]) -> None:
        def row(name: str) -> ft.Control:
            async def run(_event: Any) -> None:
                await unban(name)

            return ft.Row(
                [
                    ft.Text(name, expand=True),
                    ft.OutlinedButton(content=f"Unban {name}", key=keys.unban(name), on_click=run),
                ]
            )

        self.body.controls = [row(n) for n in names] or [
            ft.Text("Nobody is banned from the chat.", key=keys.ADMIN_EMPTY)
        ]
