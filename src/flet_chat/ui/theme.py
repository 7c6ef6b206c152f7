"""Light and dark themes from one seed colour; muted text uses theme roles so both stay readable."""

from __future__ import annotations

import flet as ft

SEED_COLOR = ft.Colors.INDIGO
NOTICE_COLOR = ft.Colors.ON_SURFACE_VARIANT
BORDER_COLOR = ft.Colors.OUTLINE
BOT_COLOR = ft.Colors.BLUE_700  # the seed console's answers were blue


# Tooltips are hover hints, kept out of what screen readers say: every control that needs a
# name has a semantics label, and a tooltip added to it made names such as "Show menu Account:
# Alice" or "Message Dave D Dave".
_TOOLTIPS = ft.TooltipTheme(exclude_from_semantics=True)


def apply_theme(page: ft.Page) -> None:
    page.theme = ft.Theme(color_scheme_seed=SEED_COLOR, tooltip_theme=_TOOLTIPS)
    page.dark_theme = ft.Theme(color_scheme_seed=SEED_COLOR, tooltip_theme=_TOOLTIPS)
    page.theme_mode = ft.ThemeMode.SYSTEM
