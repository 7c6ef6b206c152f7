"""Input rules for names and messages. Each check returns the cleaned value or raises."""

from __future__ import annotations

import unicodedata

from flet_chat.core.errors import ValidationError
from flet_chat.core.limits import MAX_MESSAGE_LENGTH, MAX_NAME_LENGTH, MAX_TOPIC_LENGTH
from flet_chat.core.names import collapse_spaces, invisible_character

# Cc: C0/C1 controls; Zl/Zp: line and paragraph separators.
_FORBIDDEN_IN_NAME = {"Cc", "Zl", "Zp"}
_ALLOWED_CONTROLS_IN_TEXT = {"\n", "\t"}


def clean_user_name(raw: str, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """The name as it is shown and compared: NFKC (so a fullwidth "Helper" is "Helper" and a
    decomposed "é" the composed one), runs of spaces as one (two spaces look like one: refusing
    them would only puzzle whoever typed them), with nothing invisible or direction-changing."""
    name = unicodedata.normalize("NFKC", raw).strip()
    if not name:
        raise ValidationError("Name cannot be blank.")
    if any(unicodedata.category(ch) in _FORBIDDEN_IN_NAME for ch in name):
        raise ValidationError("Name cannot contain control characters or line breaks.")
    if any(unicodedata.category(ch) == "Cs" for ch in name):  # half of a UTF-16 pair
        raise ValidationError("Name contains an invalid character.")
    hidden = invisible_character(name)
    if hidden is not None:
        raise ValidationError(
            "Name cannot contain invisible or text-direction characters"
            f" (it has U+{ord(hidden):04X} {unicodedata.name(hidden, 'UNNAMED')})."
        )
    name = collapse_spaces(name)
    if len(name) > max_length:
        raise ValidationError(f"Name must be at most {max_length} characters.")
    return name


def clean_line(raw: str, *, limit: int, what: str) -> str | None:
    """One line of visible text (a status, a label) up to `limit` characters; None if blank.
    Nothing invisible or direction-changing: it is shown beside a name."""
    text = collapse_spaces(unicodedata.normalize("NFKC", raw).strip())
    if not text:
        return None
    if any(unicodedata.category(ch) in _FORBIDDEN_IN_NAME for ch in text):
        raise ValidationError(f"Keep the {what} on one line, without control characters.")
    if any(unicodedata.category(ch) == "Cs" for ch in text) or invisible_character(text):
        raise ValidationError(f"The {what} cannot contain invisible or text-direction characters.")
    if len(text) > limit:
        raise ValidationError(f"Keep the {what} to {limit} characters.")
    return text


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
