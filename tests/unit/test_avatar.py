from __future__ import annotations

import os
import subprocess
import sys

import pytest

from flet_chat.core.avatar import AVATAR_COLORS, avatar_color, initials


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Alice", "A"), ("ada lovelace", "AL"), ("Grace Brewster Hopper", "GB"), ("émile", "É")],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_colour_is_from_the_palette_and_spreads_across_it() -> None:
    colours = {avatar_color(f"user{i}") for i in range(200)}
    assert colours <= set(AVATAR_COLORS)
    assert len(colours) == len(AVATAR_COLORS)


def test_colour_is_the_same_in_every_process() -> None:
    # The tutorial's hash() changes with PYTHONHASHSEED; ours must not.
    names = ["Alice", "Bob", "Zoë", "李雷"]
    expected = [avatar_color(n) for n in names]
    code = (
        "from flet_chat.core.avatar import avatar_color; "
        f"print([avatar_color(n) for n in {names!r}])"
    )
    for seed in ("1", "2", "12345"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert out.strip() == repr(expected)


def test_known_colours_do_not_drift() -> None:
    # Pinned so a refactor cannot silently recolour every existing user.
    assert [avatar_color(n) for n in ("Alice", "Bob")] == ["lime900", "deeppurple500"]


# Material hex values of the palette, for the contrast check.
PALETTE_HEX = {
    "deeporange900": "#BF360C",
    "blue800": "#1565C0",
    "brown600": "#6D4C41",
    "cyan900": "#006064",
    "green800": "#2E7D32",
    "indigo500": "#3F51B5",
    "lime900": "#827717",
    "bluegrey700": "#455A64",
    "pink700": "#C2185B",
    "purple600": "#8E24AA",
    "red800": "#C62828",
    "teal800": "#00695C",
    "deeppurple500": "#673AB7",
}


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("colour", AVATAR_COLORS)
def test_white_initials_are_readable_on_every_avatar_colour(colour: str) -> None:
    contrast = 1.05 / (_luminance(PALETTE_HEX[colour]) + 0.05)
    assert contrast >= 4.5, f"{colour}: {contrast:.2f}:1"


def test_palette_names_are_flet_colours() -> None:
    import flet as ft

    names = {str(getattr(c, "value", c)) for c in ft.Colors}
    assert set(AVATAR_COLORS) <= names
