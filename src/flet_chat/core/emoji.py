"""Which strings may be a reaction: one short emoji sequence, not words."""

from __future__ import annotations

import unicodedata

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
