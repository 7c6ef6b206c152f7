"""Input rules for names and messages. Each check returns the cleaned value or raises."""

from __future__ import annotations

import unicodedata

from flet_chat.core.errors import ValidationError
from flet_chat.core.limits import MAX_MESSAGE_LENGTH, MAX_NAME_LENGTH, MAX_TOPIC_LENGTH

# Cc: C0/C1 controls; Zl/Zp: line and paragraph separators. Format characters (Cf) stay
# allowed because emoji sequences need the zero-width joiner.
_FORBIDDEN_IN_NAME = {"Cc", "Zl", "Zp"}
_ALLOWED_CONTROLS_IN_TEXT = {"\n", "\t"}


def clean_user_name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise ValidationError("Name cannot be blank.")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(f"Name must be at most {MAX_NAME_LENGTH} characters.")
    if any(unicodedata.category(ch) in _FORBIDDEN_IN_NAME for ch in name):
        raise ValidationError("Name cannot contain control characters or line breaks.")
    return name


def clean_message_text(raw: str) -> str:
    # Normalise Windows line endings first so "\r" is not mistaken for a control character.
    text = raw.replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError("Message cannot be blank.")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            f"Message is {len(text):,} characters; the limit is {MAX_MESSAGE_LENGTH:,}."
        )
    for ch in text:
        category = unicodedata.category(ch)
        if ch not in _ALLOWED_CONTROLS_IN_TEXT and category in ("Cc", "Zl", "Zp"):
            raise ValidationError("Message cannot contain control characters.")
        if category == "Cs":  # half of a UTF-16 pair: no database or JSON encoder takes it
            raise ValidationError("Message contains an invalid character.")
    return text


def clean_topic(text: str) -> str:
    """A room's topic: one line (it heads the room), at most MAX_TOPIC_LENGTH characters. Takes
    text clean_message_text has already checked."""
    if "\n" in text or "\t" in text:
        raise ValidationError("A topic is one line.")
    if len(text) > MAX_TOPIC_LENGTH:
        raise ValidationError(
            f"The topic is {len(text):,} characters; the limit is {MAX_TOPIC_LENGTH}."
        )
    return text


def sorted_names(names: list[str]) -> list[str]:
    """Case-insensitive order, ties broken by the exact spelling so the order is total."""
    return sorted(names, key=lambda name: (name.casefold(), name))
