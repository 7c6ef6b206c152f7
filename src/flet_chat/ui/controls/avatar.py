"""A person's avatar: their picture if they chose one, over their initials on their colour (what
shows while the picture loads, or if it cannot)."""

from __future__ import annotations

import flet as ft

from flet_chat.core.accounts.models import Profile
from flet_chat.core.avatar import avatar_color, avatar_url, initials


def avatar(
    user_name: str,
    profile: Profile,
    *,
    radius: float | None = None,
    text_size: float | None = None,
    key: str | None = None,
    silent: bool = False,
) -> ft.CircleAvatar:
    """`silent`: the initials say nothing to screen readers (the row's label names the
    person; otherwise "Dave" reads "D Dave")."""
    version = profile.avatar_version
    return ft.CircleAvatar(
        key=key,
        content=ft.Text(
            initials(user_name), size=text_size, semantics_label="" if silent else None
        ),
        color=ft.Colors.WHITE,
        bgcolor=avatar_color(user_name),
        radius=radius,
        # A new picture is a new URL (its version), so browsers cache each for good.
        foreground_image_src=avatar_url(user_name, version) if version else None,
    )


def display_name_of(user_name: str, profile: Profile) -> str | None:
    """The display name to show beside the name, if it says something the name does not."""
    shown = profile.display_name
    return shown if shown and shown != user_name else None
