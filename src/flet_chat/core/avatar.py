"""Avatar initials and colour, stable across processes and restarts.

The tutorial used `hash(name)`, which Python salts per process: the same user got a
different colour in every worker. A digest of the UTF-8 name does not change.
"""

from __future__ import annotations

import hashlib

# Flet/Material colour names (`ft.Colors.AMBER == "amber"`); order is part of the contract.
AVATAR_COLORS: tuple[str, ...] = (
    "amber",
    "blue",
    "brown",
    "cyan",
    "green",
    "indigo",
    "lime",
    "orange",
    "pink",
    "purple",
    "red",
    "teal",
    "yellow",
)


def avatar_color(user_name: str) -> str:
    digest = hashlib.blake2b(user_name.encode("utf-8"), digest_size=8).digest()
    return AVATAR_COLORS[int.from_bytes(digest, "big") % len(AVATAR_COLORS)]


def initials(user_name: str) -> str:
    """Up to two letters: first letters of the first two words, else the first character."""
    words = user_name.split()
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:1].upper()
    return (words[0][:1] + words[1][:1]).upper()
