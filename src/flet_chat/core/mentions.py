"""@mentions: "@alice" names alice. Found when a message is stored (so "a mention of you"
is one indexed query) and when its row is drawn (to highlight it)."""

from __future__ import annotations

import functools
import re

from flet_chat.core.limits import MAX_NAME_LENGTH

# "@" at the start or after a space or an opening bracket (not inside an e-mail address), then
# everything up to whitespace; trailing punctuation is the sentence's, not the name's.
MENTION = re.compile(rf"(?<![^\s(\[{{])@([^\s@]{{1,{MAX_NAME_LENGTH + 8}}})")
_TRAILING = ".,;:!?)]}'\""


def mention_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each mention in `text`, "@" included, trailing punctuation excluded."""
    spans = []
    for match in MENTION.finditer(text):
        name = match.group(1).rstrip(_TRAILING)
        if name:
            spans.append((match.start(), match.start() + 1 + len(name)))
    return spans


@functools.lru_cache(maxsize=1024)
def mentioned_names(text: str) -> tuple[str, ...]:
    """The casefolded names `text` mentions, each once, in order. Cached: every session that
    counts a message of another room asks about the same text."""
    names: dict[str, None] = {}
    for start, end in mention_spans(text):
        names.setdefault(text[start + 1 : end].casefold(), None)
    return tuple(names)
