from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flet_chat.core.errors import ValidationError
from flet_chat.core.limits import MAX_MESSAGE_LENGTH, MAX_NAME_LENGTH
from flet_chat.core.validation import clean_message_text, clean_user_name


def test_name_is_trimmed() -> None:
    assert clean_user_name("  Ada Lovelace \t") == "Ada Lovelace"


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_blank_name_is_refused(raw: str) -> None:
    with pytest.raises(ValidationError, match="cannot be blank"):
        clean_user_name(raw)


def test_name_length_limit_counts_characters_not_bytes() -> None:
    assert clean_user_name("é" * MAX_NAME_LENGTH) == "é" * MAX_NAME_LENGTH
    with pytest.raises(ValidationError, match="at most 32"):
        clean_user_name("x" * (MAX_NAME_LENGTH + 1))


@pytest.mark.parametrize("raw", ["Ada\nLovelace", "Ada\x00", "Bell\x07", "a\u2028b", "esc\x1b[31m"])
def test_control_characters_in_name_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        clean_user_name(raw)


def test_emoji_names_with_zero_width_joiner_are_allowed() -> None:
    assert clean_user_name("Dev 👩\u200d💻") == "Dev 👩\u200d💻"


@given(st.text(max_size=80))
def test_any_accepted_name_is_clean(raw: str) -> None:
    try:
        name = clean_user_name(raw)
    except ValidationError:
        return
    assert name == name.strip()
    assert 1 <= len(name) <= MAX_NAME_LENGTH
    assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in name)


def test_message_keeps_inner_newlines_and_drops_outer_whitespace() -> None:
    assert clean_message_text("\n  line one\r\nline two\t \n") == "line one\nline two"


def test_blank_message_is_refused() -> None:
    with pytest.raises(ValidationError, match="cannot be blank"):
        clean_message_text(" \n\t ")


def test_message_limit_is_4000_characters() -> None:
    assert len(clean_message_text("x" * MAX_MESSAGE_LENGTH)) == MAX_MESSAGE_LENGTH
    with pytest.raises(ValidationError, match="4,001 characters; the limit is 4,000"):
        clean_message_text("x" * (MAX_MESSAGE_LENGTH + 1))


def test_control_characters_in_message_are_refused() -> None:
    with pytest.raises(ValidationError, match="control characters"):
        clean_message_text("hi\x00there")


def test_half_a_surrogate_pair_in_a_message_is_refused() -> None:
    # JSON's "\ud800" decodes to one; SQLite's and Redis's encoders would fail on it.
    with pytest.raises(ValidationError, match="invalid character"):
        clean_message_text("broken \ud800 pair")
