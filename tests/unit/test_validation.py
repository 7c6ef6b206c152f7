from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flet_chat.core.errors import ValidationError
from flet_chat.core.limits import MAX_MESSAGE_LENGTH, MAX_NAME_LENGTH
from flet_chat.core.names import is_default_ignorable
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


def test_names_are_nfkc() -> None:
    assert clean_user_name("\uff28elper") == "Helper"  # fullwidth
    assert clean_user_name("Alice\u0301") == "Alic\u00e9"  # decomposed becomes composed
    assert clean_user_name("\u2167") == "VIII"  # a Roman numeral


def test_inner_runs_of_spaces_become_one() -> None:
    assert clean_user_name("Deploy  Bot") == "Deploy Bot"
    assert clean_user_name("Deploy\u00a0\u2003 Bot") == "Deploy Bot"  # no-break, em space


@pytest.mark.parametrize(
    "raw", ["Al\u200bice", "\u200dAlice", "\u202eecilA", "Deploy\u200bBot", "\ufeffAl", "\u3164"]
)
def test_invisible_and_bidi_characters_in_name_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError, match="invisible or text-direction characters"):
        clean_user_name(raw)


def test_half_a_surrogate_pair_in_a_name_is_refused() -> None:
    with pytest.raises(ValidationError, match="invalid character"):
        clean_user_name("Ann\ud800")


def test_the_refusal_names_the_character() -> None:
    with pytest.raises(ValidationError, match=r"U\+202E RIGHT-TO-LEFT OVERRIDE"):
        clean_user_name("\u202eecilA")


# Characters the rules are about, mixed into arbitrary text so hypothesis meets them often.
_TRICKY = st.sampled_from(
    "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202e\u2066\u2069\u061c\u00ad\u034f"
    "\u3164\ufe0f\ufe0e\U000e0041\u20e3\u0301\u00a0\u2003\u3000 \U0001f469\U0001f4bb"
    "\U0001f3fd\u27641\uff28\u2800"
)
_NAMES = st.text(st.one_of(st.characters(), _TRICKY), max_size=40)


@given(_NAMES)
def test_cleaning_a_clean_name_changes_nothing(raw: str) -> None:
    try:
        name = clean_user_name(raw)
    except ValidationError:
        return
    assert clean_user_name(name) == name


@given(_NAMES)
def test_a_clean_name_holds_nothing_invisible(raw: str) -> None:
    try:
        name = clean_user_name(raw)
    except ValidationError:
        return
    for i, ch in enumerate(name):
        if ch == "\u200d":  # only inside an emoji sequence
            assert 0 < i < len(name) - 1
            continue
        if ch in "\ufe0e\ufe0f":  # only after an emoji or a keycap's base
            assert i > 0
            continue
        assert not is_default_ignorable(ch), ascii(name)
        assert unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"), ascii(name)
    assert "  " not in name
    assert unicodedata.normalize("NFKC", name) == name


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
