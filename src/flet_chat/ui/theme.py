"""Light and dark themes from one seed colour; muted text uses theme roles so both stay readable."""

from __future__ import annotations

import flet as ft

SEED_COLOR = ft.Colors.INDIGO
NOTICE_COLOR = ft.Colors.ON_SURFACE_VARIANT
BORDER_COLOR = ft.Colors.OUTLINE
BOT_COLOR = ft.Colors.BLUE_700  # the seed console's answers were blue


def apply_theme(page: ft.Page) -> None:
    page.theme = ft.Theme(color_scheme_seed=SEED_COLOR)
    page.dark_theme = ft.Theme(color_scheme_seed=SEED_COLOR)
    page.theme_mode = ft.ThemeMode.SYSTEM
