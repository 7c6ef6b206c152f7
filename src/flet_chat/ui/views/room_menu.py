"""The room's menu (the header's "Manage room"): invite someone, slow mode, archive and transfer
ownership, and the members with their roles, each with the moderation a viewer of higher rank
may do (mute, unmute, kick, ban, roles, ban from the chat). Built when opened and dropped when
closed: a session holds none of it otherwise. What it offers follows the session's reading of
the user's rank; the core decides again, and its refusal shows in the dialog.

Pure controls: every action is a callback of ui/session/room_admin.py, which answers the text
to show (an error, or what was done)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import flet as ft

from flet_chat.ui import keys
from flet_chat.ui.theme import NOTICE_COLOR

# (label, seconds): the slow modes offered.
SLOW_MODES = (("Off", 0), ("10 s", 10), ("30 s", 30), ("1 min", 60), ("5 min", 300))
# (label, minutes): the mutes offered.
MUTES = (("Mute for 10 min", 10), ("Mute for 1 h", 60), ("Mute for 1 day", 1440))

# Ranks as core/moderation.py orders them (a chat admin outranks every room role).
MEMBER, MODERATOR, OWNER, ADMIN = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class MemberLine:
    user_name: str
    role: str  # "owner", "moderator", "member"
    rank: int
    muted_until: str | None = None  # as the viewer's clock shows it, while muted


@dataclass(frozen=True, slots=True)
class MenuModel:
    title: str  # "#dev"
    rank: int  # the viewer's
    can_moderate: bool
    can_invite: bool
    general: bool
    archived: bool
    slow_mode_seconds: int
    members: Sequence[MemberLine]
    me: str


# An action answers None when done (the dialog closes) or the text of what went wrong.
Act = Callable[[], Awaitable[str | None]]
ActWith = Callable[[str], Awaitable[str | None]]


def role_label(role: str) -> str:
    """What a member entry says of the role ("" for a plain member)."""
    return "" if role == "member" else role


def muted_label(until: str | None) -> str:
    return f"muted until {until}" if until else ""


class RoomMenu:
    """The dialog; `status` shows the core's answers."""

    def __init__(
        self,
        model: MenuModel,
        *,
        invite: ActWith,
        slow_mode: Callable[[int], Awaitable[str | None]],
        archive: Act,
        transfer: ActWith,
        moderate: Callable[[MemberLine], Awaitable[None]],
        close: Callable[[Any], Awaitable[None]],
    ) -> None:
        self.status = ft.Text(key=keys.ROOM_MENU_STATUS, color=ft.Colors.ERROR, visible=False)
        sections: list[ft.Control] = []
        if model.can_invite:
            sections += self._field_section(
                "Invite someone", keys.INVITE_INPUT, keys.INVITE_BUTTON, "Invite", invite
            )
        if model.can_moderate:
            sections.append(ft.Text("Slow mode", weight=ft.FontWeight.BOLD))
            sections.append(
                ft.Row(
                    wrap=True,
                    controls=[
                        self._slow_mode_button(label, seconds, model, slow_mode)
                        for label, seconds in SLOW_MODES
                    ],
                )
            )
        if model.rank >= OWNER and not model.general:
            label = "Unarchive this room" if model.archived else "Archive this room"
            sections.append(
                ft.OutlinedButton(
                    content=label, key=keys.ARCHIVE_BUTTON, on_click=self._run_handler(archive)
                )
            )
            sections += self._field_section(
                "Transfer ownership to",
                keys.TRANSFER_INPUT,
                keys.TRANSFER_BUTTON,
                "Transfer",
                transfer,
            )
        if model.general and model.can_moderate:  # #general lists nobody: a name will do

            async def by_name(name: str) -> str | None:
                name = name.strip()
                if not name:
                    return "Type a name."
                await moderate(MemberLine(name, "member", MEMBER))
                return None

            sections += self._field_section(
                "Moderate someone",
                keys.MODERATE_NAME,
                keys.MODERATE_NAME_BUTTON,
                "Moderate",
                by_name,
            )
        if not model.general:
            sections.append(ft.Text("Members", weight=ft.FontWeight.BOLD))
            sections.append(
                ft.Column(
                    key=keys.ROOM_MEMBERS,
                    spacing=2,
                    controls=[self._member(line, model, moderate) for line in model.members],
                )
            )
        sections.append(self.status)
        self.dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text(f"Manage {model.title}"),
            semantics_label=f"Manage {model.title}",
            content=ft.Column(sections, tight=True, scroll=ft.ScrollMode.AUTO, width=420),
            actions=[ft.TextButton(content="Close", key=keys.ROOM_MENU_CLOSE, on_click=close)],
        )

    def show_status(self, text: str) -> None:
        self.status.value, self.status.visible = text, True
        self.status.update()

    def _run_handler(self, act: Act) -> Callable[[Any], Awaitable[None]]:
        async def run(_event: Any) -> None:
            error = await act()
            if error is not None:
                self.show_status(error)

        return run

    def _field_section(
        self, label: str, field_key: str, button_key: str, button: str, act: ActWith
    ) -> list[ft.Control]:
        field = ft.TextField(key=field_key, label=label, hint_text="name", dense=True, expand=True)

        async def run(_event: Any) -> None:
            error = await act(field.value or "")
            field.error = error
            if error is None:
                field.value = ""
            field.update()

        field.on_submit = run
        return [ft.Row([field, ft.FilledButton(content=button, key=button_key, on_click=run)])]

    def _slow_mode_button(
        self,
        label: str,
        seconds: int,
        model: MenuModel,
        slow_mode: Callable[[int], Awaitable[str | None]],
    ) -> ft.Control:
        async def choose(_event: Any) -> None:
            error = await slow_mode(seconds)
            if error is not None:
                self.show_status(error)

        kind = ft.FilledButton if seconds == model.slow_mode_seconds else ft.OutlinedButton
        return kind(content=label, key=keys.slow_mode(seconds), on_click=choose)

    def _member(
        self,
        line: MemberLine,
        model: MenuModel,
        moderate: Callable[[MemberLine], Awaitable[None]],
    ) -> ft.Control:
        notes = [n for n in (role_label(line.role), muted_label(line.muted_until)) if n]
        said = ", ".join([line.user_name, *notes])
        controls: list[ft.Control] = [
            ft.Text(line.user_name, semantics_label=said, expand=True, no_wrap=True),
        ]
        if notes:
            controls.append(
                ft.Text(
                    ", ".join(notes),
                    key=keys.member_role(line.user_name),
                    semantics_label="",
                    size=12,
                    color=NOTICE_COLOR,
                )
            )
        if model.can_moderate and line.user_name != model.me and model.rank > line.rank:

            async def open_actions(_event: Any) -> None:
                await moderate(line)

            controls.append(
                ft.TextButton(
                    content=f"Moderate {line.user_name}",
                    key=keys.moderate_member(line.user_name),
                    on_click=open_actions,
                )
            )
        return ft.Row(controls, spacing=8)


class MemberActions:
    """What a moderator may do to one member: a reason (optional), then one action."""

    def __init__(
        self,
        line: MemberLine,
        *,
        rank: int,
        room_title: str,
        act: Callable[[str, str | None], Awaitable[str | None]],
        close: Callable[[Any], Awaitable[None]],
        general: bool = False,
    ) -> None:
        """`general`: #general, where nobody is kicked, banned from the room or given a role
        (everyone is in it; a ban from the chat is the admins' way out)."""
        self.reason = ft.TextField(key=keys.MODERATE_REASON, label="Reason (optional)", dense=True)
        self.error = ft.Text(key=keys.MODERATE_ERROR, color=ft.Colors.ERROR, visible=False)
        actions: list[tuple[str, str]] = [(label, f"mute-{m}") for label, m in MUTES]
        actions.append(("Unmute", "unmute"))
        if not general:
            actions += [("Kick", "kick"), ("Ban from this room", "ban")]
        if rank >= OWNER and not general:
            if line.role == "moderator":
                actions.append(("Remove moderator", "remove-moderator"))
            else:
                actions.append(("Make moderator", "make-moderator"))
        if rank >= ADMIN:
            actions.append(("Ban from the chat", "ban-chat"))

        def button(label: str, action: str) -> ft.Control:
            async def run(_event: Any) -> None:
                why = (self.reason.value or "").strip() or None
                error = await act(action, why)
                if error is not None:
                    self.error.value, self.error.visible = error, True
                    self.error.update()

            return ft.OutlinedButton(content=label, key=keys.moderate_action(action), on_click=run)

        self.dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text(f"{line.user_name} in {room_title}"),
            semantics_label=f"Moderate {line.user_name} in {room_title}",
            content=ft.Column(
                [
                    self.reason,
                    ft.Row(wrap=True, controls=[button(label, a) for label, a in actions]),
                    self.error,
                ],
                tight=True,
                width=420,
            ),
            actions=[ft.TextButton(content="Cancel", key=keys.MODERATE_CANCEL, on_click=close)],
        )
