"""Avatar initials and colour, stable across processes and restarts, and where an uploaded
avatar is served.

The tutorial used `hash(name)`, which Python salts per process: the same user got a
different colour in every worker. A digest of the UTF-8 name does not change.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

# GET AVATAR_PATH + name serves a user's avatar (api/avatars.py); PUT AVATAR_UPLOAD_PATH takes one.
AVATAR_PATH = "/avatars/"
AVATAR_UPLOAD_PATH = "/avatars/upload"

# Flet/Material colour names (`ft.Colors.BLUE_800 == "blue800"`), each dark enough for white
# initials (contrast >= 4.5:1, unlike the tutorial's amber/lime/yellow). Order is part of the
# contract: changing it recolours every user.
AVATAR_COLORS: tuple[str, ...] = (
    "deeporange900",
    "blue800",
    "brown600",
    "cyan900",
    "green800",
    "indigo500",
    "lime900",
    "bluegrey700",
    "pink700",
    "purple600",
    "red800",
    "teal800",
    "deeppurple500",
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


def avatar_url(user_name: str, version: int) -> str:
    """Where the avatar is, as a page-relative URL. The version is in it, so a new avatar is a
    new URL (and the old one may be cached for good)."""
    return f"{AVATAR_PATH}{quote(user_name, safe='')}?v={version}"
