"""The profile dialog: the user's picture (choose or remove), display name and status, and their
personal access tokens (create with a name, list, revoke); and the dialog that shows a new
token's secret once, with a copy button. They only show what they are given and hand clicks to
callbacks; ui/session/profile.py does the work. Methods return the controls to update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import flet as ft

from flet_chat.core.accounts.models import Profile, SessionInfo
from flet_chat.core.limits import MAX_DISPLAY_NAME_LENGTH, MAX_STATUS_LENGTH, MAX_TOKEN_LABEL_LENGTH
from flet_chat.ui import keys
from flet_chat.ui.controls.avatar import avatar
from flet_chat.ui.theme import NOTICE_COLOR

Handler = Callable[[Any], Awaitable[None]]
Revoke = Callable[[int], Awaitable[None]]
# Copies a secret inside the click that asks for it (ft.CopyToClipboard: browsers allow a page to
# write to the clipboard only while it handles a click); None where there is no page (tests).
CopyAction = Callable[[str], ft.ClientAction | None]

TITLE = "Your profile"
CHOOSE_PICTURE = "Choose picture"
REMOVE_PICTURE = "Remove picture"
SAVE = "Save profile"
SAVED = "Saved."
CREATE_TOKEN = "Create token"
COPY_TOKEN = "Copy token"
SHOWN_ONCE = "Copy this token now: you will not see it again."
TOKENS_HELP = (
    "An access token signs a bot or the console client in as you, until you revoke it."
    " Anyone who has it can post as you: keep it secret."
)
MEMBERS_ONLY = "Choose a password (sign up) to create access tokens."
NO_TOKENS = "No access tokens yet."
WIDTH = 440


def when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


class ProfileDialog:
    def __init__(
        self,
        *,
        picker: ft.FilePicker,
        on_remove_avatar: Handler,
        on_save: Handler,
        on_create_token: Handler,
        on_revoke_token: Revoke,
        on_close: Handler,
    ) -> None:
        self._on_revoke = on_revoke_token
        self.preview = avatar("?", Profile(), radius=36, text_size=24, key=keys.PROFILE_AVATAR)
        self.shown_name = ft.Text(weight=ft.FontWeight.BOLD, size=16)
        self.user_name = ft.Text(color=NOTICE_COLOR)
        self.choose_avatar = ft.Button(
            content=CHOOSE_PICTURE,
            key=keys.PROFILE_CHOOSE_AVATAR,
            icon=ft.Icons.PHOTO_CAMERA_OUTLINED,
            # The browser opens its file chooser inside this click (ft.PickFiles); the picked
            # file arrives at the picker's on_result, in the session.
            action=ft.PickFiles(
                picker,
                dialog_title=CHOOSE_PICTURE,
                file_type=ft.FilePickerFileType.CUSTOM,
                allowed_extensions=["png", "jpg", "jpeg", "webp"],
                cancel_upload_on_window_blur=False,
            ),
        )
        self.remove_avatar = ft.TextButton(
            content=REMOVE_PICTURE, key=keys.PROFILE_REMOVE_AVATAR, on_click=on_remove_avatar
        )
        self.avatar_status = ft.Text(key=keys.PROFILE_AVATAR_STATUS, size=12, visible=False)
        self.display_name = ft.TextField(
            key=keys.PROFILE_DISPLAY_NAME,
            label="Display name",
            hint_text="Shown beside your @name",
            max_length=MAX_DISPLAY_NAME_LENGTH,
            on_submit=on_save,
        )
        self.status = ft.TextField(
            key=keys.PROFILE_STATUS,
            label="Status",
            hint_text="What you are up to",
            max_length=MAX_STATUS_LENGTH,
            on_submit=on_save,
        )
        self.save = ft.FilledButton(content=SAVE, key=keys.PROFILE_SAVE, on_click=on_save)
        self.saved = ft.Text(key=keys.PROFILE_SAVED, size=12, visible=False)
        self.token_label = ft.TextField(
            key=keys.TOKEN_LABEL,
            label="Token name",
            hint_text="e.g. laptop console",
            max_length=MAX_TOKEN_LABEL_LENGTH,
            expand=True,
            dense=True,
            on_submit=on_create_token,
        )
        self.create_token = ft.OutlinedButton(
            content=CREATE_TOKEN, key=keys.TOKEN_CREATE, on_click=on_create_token
        )
        self.token_form = ft.Row([self.token_label, self.create_token])
        self.token_note = ft.Text(key=keys.TOKEN_NOTE, size=12, color=NOTICE_COLOR)
        self.token_list = ft.Column(key=keys.TOKEN_LIST, spacing=4)
        self.content = ft.Column(
            key=keys.PROFILE_DIALOG,
            tight=True,
            scroll=ft.ScrollMode.AUTO,
            spacing=10,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,  # fields as wide as the dialog
            controls=[
                ft.Row(
                    [self.preview, ft.Column([self.shown_name, self.user_name], spacing=0)],
                    spacing=16,
                ),
                ft.Row([self.choose_avatar, self.remove_avatar], wrap=True),
                self.avatar_status,
                self.display_name,
                self.status,
                ft.Row([self.save, self.saved]),
                ft.Divider(),
                ft.Text("Access tokens", weight=ft.FontWeight.BOLD),
                ft.Text(TOKENS_HELP, size=12, color=NOTICE_COLOR),
                self.token_form,
                self.token_list,
                self.token_note,
            ],
        )
        self.dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text(TITLE),
            semantics_label=TITLE,
            content=ft.Container(self.content, width=WIDTH),
            actions=[ft.TextButton(content="Close", key=keys.PROFILE_CLOSE, on_click=on_close)],
        )

    # -- the person -----------------------------------------------------------------------------

    def show_person(self, user_name: str, profile: Profile) -> list[ft.Control]:
        """Picture and names as others see them now."""
        fresh = avatar(user_name, profile, radius=36, text_size=24)
        self.preview.content = fresh.content
        self.preview.bgcolor = fresh.bgcolor
        self.preview.foreground_image_src = fresh.foreground_image_src
        self.shown_name.value = profile.display_name or user_name
        self.user_name.value = f"@{user_name}"
        self.remove_avatar.visible = profile.avatar_version > 0
        return [self.preview, self.shown_name, self.user_name, self.remove_avatar]

    def fill_fields(self, profile: Profile) -> list[ft.Control]:
        self.display_name.value = profile.display_name or ""
        self.status.value = profile.status or ""
        self.display_name.error = self.status.error = None
        return [self.display_name, self.status]

    def show_avatar_status(self, text: str | None, *, error: bool = False) -> list[ft.Control]:
        self.avatar_status.value = text or ""
        self.avatar_status.visible = bool(text)
        self.avatar_status.color = ft.Colors.ERROR if error else NOTICE_COLOR
        return [self.avatar_status]

    def show_saved(self, text: str | None, *, error: bool = False) -> list[ft.Control]:
        self.saved.value = text or ""
        self.saved.visible = bool(text)
        self.saved.color = ft.Colors.ERROR if error else NOTICE_COLOR
        return [self.saved]

    def show_field_errors(
        self, *, display_name: str | None = None, status: str | None = None
    ) -> list[ft.Control]:
        self.display_name.error = display_name
        self.status.error = status
        return [self.display_name, self.status]

    # -- access tokens --------------------------------------------------------------------------

    def allow_tokens(self, allowed: bool) -> list[ft.Control]:
        """Members make tokens; a guest is told how to become one."""
        self.token_form.visible = allowed
        if not allowed:
            self.token_note.value = MEMBERS_ONLY
            self.token_list.controls = []
        return [self.token_form, self.token_note, self.token_list]

    def show_tokens(self, tokens: Sequence[SessionInfo]) -> list[ft.Control]:
        self.token_list.controls = [self._token_row(t) for t in tokens]
        self.token_note.value = "" if tokens else NO_TOKENS
        return [self.token_list, self.token_note]

    def _token_row(self, token: SessionInfo) -> ft.Control:
        label = token.label or "token"

        async def revoke(_event: Any) -> None:
            await self._on_revoke(token.session_id)

        return ft.Row(
            key=keys.token_row(token.session_id),
            controls=[
                ft.Column(
                    [
                        ft.Text(label, weight=ft.FontWeight.BOLD),
                        ft.Text(
                            f"Created {when(token.created_at)} · last used "
                            f"{when(token.last_used_at)}",
                            size=11,
                            color=NOTICE_COLOR,
                        ),
                    ],
                    spacing=0,
                    expand=True,
                ),
                ft.IconButton(
                    key=keys.token_revoke(token.session_id),
                    # The icon's semantics label is the button's accessible name.
                    icon=ft.Icon(ft.Icons.DELETE_OUTLINE, semantics_label=f"Revoke {label}"),
                    tooltip=f"Revoke {label}",
                    on_click=revoke,
                ),
            ],
        )

    def token_made(self) -> list[ft.Control]:
        self.token_label.value, self.token_label.error = "", None
        return [self.token_label]

    def show_token_error(self, text: str | None) -> list[ft.Control]:
        self.token_label.error = text
        return [self.token_label]


def secret_dialog(secret: str, *, copy_action: CopyAction, on_done: Handler) -> ft.AlertDialog:
    """A new token's secret, over the profile: read-only and selectable, with a copy button and
    the warning that this is the only time it is shown (only its hash is kept)."""
    return ft.AlertDialog(
        modal=True,
        title=ft.Text("New access token"),
        semantics_label="New access token",
        content=ft.Container(
            width=WIDTH,
            content=ft.Column(
                tight=True,
                spacing=12,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                controls=[
                    ft.Text(SHOWN_ONCE, weight=ft.FontWeight.BOLD, color=ft.Colors.PRIMARY),
                    ft.Row(
                        [
                            ft.TextField(
                                key=keys.TOKEN_SECRET,
                                label="New access token",
                                value=secret,
                                read_only=True,
                                dense=True,
                                expand=True,
                            ),
                            ft.IconButton(
                                key=keys.TOKEN_COPY,
                                icon=ft.Icon(ft.Icons.COPY, semantics_label=COPY_TOKEN),
                                tooltip=COPY_TOKEN,
                                action=copy_action(secret),
                            ),
                        ]
                    ),
                ],
            ),
        ),
        actions=[ft.FilledButton(content="Done", key=keys.TOKEN_DONE, on_click=on_done)],
    )
