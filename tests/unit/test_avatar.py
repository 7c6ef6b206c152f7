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
    assert [avatar_color(n) for n in ("Alice", "Bob")] == ["lime", "yellow"]
