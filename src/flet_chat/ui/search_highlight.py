"""Which parts of a search result's text are the words looked for, to draw them bold. Pure
Python: words are found as the search finds them (runs of letters and digits, compared
lowercased and, as SQLite's index does, without accents)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[^\W_]+")
# A long message shows the part around its first match, about this many characters.
SNIPPET_LENGTH = 280
_LEAD = 60  # characters kept before the first match
ELLIPSIS = "\u2026"


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", word).lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def highlight_spans(text: str, terms: Iterable[str]) -> list[tuple[str, bool]]:
    """`text` cut into (part, is_a_term) pieces, in order; joined they are `text` again."""
    wanted = {_fold(t) for t in terms}
    parts: list[tuple[str, bool]] = []
    at = 0
    for match in _WORD.finditer(text):
        if _fold(match.group()) not in wanted:
            continue
        if match.start() > at:
            parts.append((text[at : match.start()], False))
        parts.append((match.group(), True))
        at = match.end()
    if at < len(text):
        parts.append((text[at:], False))
    return parts


def snippet(text: str, terms: Iterable[str], length: int = SNIPPET_LENGTH) -> str:
    """The text, or for a long one the part around its first match, with an ellipsis where it
    was cut."""
    flat = " ".join(text.split())  # a result is one or two lines in the list, not a page
    if len(flat) <= length:
        return flat
    wanted = {_fold(t) for t in terms}
    first = next((m.start() for m in _WORD.finditer(flat) if _fold(m.group()) in wanted), 0)
    start = max(0, first - _LEAD)
    end = min(len(flat), start + length)
    return (ELLIPSIS if start else "") + flat[start:end] + (ELLIPSIS if end < len(flat) else "")
