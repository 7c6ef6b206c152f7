"""Which strings may be a reaction: one short emoji sequence, not words. And the emoji the
composer offers: a searchable catalog and `:shortcode:` completion."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import emoji as emoji_data

from flet_chat.core.errors import ValidationError
from flet_chat.core.limits import MAX_EMOJI_LENGTH

# What the reaction picker offers; the server accepts any emoji (clients may offer others).
QUICK_REACTIONS = ("👍", "❤️", "😂", "🎉", "😮", "😢")
# Letters, digits, spaces, punctuation and controls make words, not emoji. Emoji are symbols
# (So, Sk), joined by ZWJ (Cf) and varied by selectors and skin tones (Mn, Sk).
_ALLOWED_CATEGORIES = {"So", "Sk", "Sm", "Cf", "Mn", "Me"}
ONE_EMOJI = "A reaction is one emoji."


def clean_emoji(raw: str) -> str:
    emoji = raw.strip()
    if not emoji or len(emoji) > MAX_EMOJI_LENGTH:
        raise ValidationError(ONE_EMOJI)
    if not any(unicodedata.category(ch) == "So" for ch in emoji) or any(
        unicodedata.category(ch) not in _ALLOWED_CATEGORIES for ch in emoji
    ):
        raise ValidationError(ONE_EMOJI)
    return emoji


# The composer's picker and `:shortcode:` completion, from the `emoji` package's data (its
# CLDR names and GitHub-style aliases). Only fully-qualified emoji up to Emoji 15.0 (the
# bundled colour font has no newer ones: README "Every script and emoji") and no skin-tone
# variants, which would fill the grid with one face in five shades.
NEWEST_EMOJI_VERSION = 15.0
# ":smi" after a space (or at the start): a letter (or "+1") first, so "12 :30" is not one.
SHORTCODE_AT_END = re.compile(r"(?:^|(?<=\s)):([a-z+][a-z0-9_+\-]{1,39})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class NamedEmoji:
    emoji: str
    name: str  # the shortcode without colons: "smile"
    names: tuple[str, ...]  # every name it answers to, lowercase


def _order(emoji: str) -> tuple[int, int]:
    """Faces first (Emoticons, then Supplemental Symbols), then by code point."""
    point = ord(emoji[0])
    if 0x1F600 <= point <= 0x1F64F:
        return (0, point)
    if 0x1F900 <= point <= 0x1F9FF:
        return (1, point)
    return (2, point)


@functools.cache
def catalog() -> tuple[NamedEmoji, ...]:
    fully_qualified = emoji_data.STATUS["fully_qualified"]
    found: list[NamedEmoji] = []
    for char, data in emoji_data.EMOJI_DATA.items():
        if data["status"] != fully_qualified or data["E"] > NEWEST_EMOJI_VERSION:
            continue
        english = str(data["en"]).strip(":")
        if "skin_tone" in english:
            continue
        aliases = [str(alias).strip(":").lower() for alias in data.get("alias", ())]
        names = tuple(dict.fromkeys([_shortcode(english), *aliases]))
        found.append(NamedEmoji(char, aliases[0] if aliases else names[0], names))
    found.sort(key=lambda named: _order(named.emoji))
    return tuple(found)


def _shortcode(name: str) -> str:
    return re.sub(r"[^a-z0-9_+\-]", "", name.lower().replace(" ", "_"))


@functools.lru_cache(maxsize=512)
def search(query: str, limit: int = 8, *, anywhere: bool = True) -> tuple[NamedEmoji, ...]:
    """Emoji named `query` first, then those whose names start with it (shortest first), then
    those with a word that does, then (`anywhere`) those that contain it; an empty query gives
    the first `limit` of the catalog. Cached: everyone types the same few prefixes."""
    query = _shortcode(query.strip().strip(":"))
    if not query:
        return catalog()[:limit]
    ranked: list[tuple[tuple[int, int], int, NamedEmoji]] = []
    for index, named in enumerate(catalog()):
        rank = _rank(named.names, query)
        if rank is not None and (anywhere or rank[0] < CONTAINS):
            ranked.append((rank, index, named))
    ranked.sort(key=lambda found: found[:2])
    return tuple(named for _, _, named in ranked[:limit])


CONTAINS = 3  # the rank of a name that only contains the query


def _rank(names: tuple[str, ...], query: str) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    for name in names:
        if name == query:
            return (0, 0)
        if name.startswith(query):
            rank = (1, len(name))
        elif any(word.startswith(query) for word in name.split("_")[1:]):
            rank = (2, len(name))
        elif query in name:
            rank = (CONTAINS, len(name))
        else:
            continue
        best = rank if best is None else min(best, rank)
    return best


def shortcode_at_end(text: str) -> str | None:
    """The `:smi` being typed at the end of `text` (after a space or at the start), or None."""
    match = _at_end(text)
    return match.group(1).lower() if match else None


def complete_shortcode(text: str, emoji: str) -> str:
    """`text` with the `:smi` at its end replaced by `emoji`."""
    match = _at_end(text)
    return text if match is None else text[: match.start()] + emoji


def _at_end(text: str) -> re.Match[str] | None:
    # Only the end can hold it: a keystroke in a 4,000-character text looks at 42 of them
    # (the lookbehind still sees the character before).
    return SHORTCODE_AT_END.search(text, max(0, len(text) - 42))
