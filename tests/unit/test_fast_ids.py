"""Flet's random ids drawn from one os.urandom call: same alphabet, length and uniformity."""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Callable

import flet.utils
from flet.controls import page as flet_page
from flet.messaging import session as flet_session
from flet.utils import strings as flet_strings
from flet_web.fastapi import flet_app as flet_web_app
from hypothesis import given
from hypothesis import strategies as st

from flet_chat.flet_compat import install_fast_ids, random_id

ALPHABET = set(string.ascii_letters + string.digits)


@given(st.integers(min_value=0, max_value=64))
def test_an_id_has_the_length_asked_for_in_letters_and_digits(length: int) -> None:
    made = random_id(length)
    assert len(made) == length
    assert set(made) <= ALPHABET


def _bytes_from(pool: bytes) -> tuple[Callable[[int], bytes], list[int]]:
    asked: list[int] = []
    position = 0

    def draw(count: int) -> bytes:
        nonlocal position
        asked.append(count)
        chunk = (pool * 4)[position : position + count]
        position = (position + count) % len(pool)
        return chunk

    return draw, asked


def test_every_character_is_equally_likely_and_the_bytes_past_248_are_thrown_away() -> None:
    # Every byte value once, the eight past 248 first: those must be thrown away (folded in,
    # they would favour eight characters), and the 248 kept give each character 4 times.
    draw, _ = _bytes_from(bytes(range(248, 256)) + bytes(range(248)))
    made = random_id(248, draw)
    counts = Counter(made)
    assert set(counts) == ALPHABET
    assert set(counts.values()) == {4}


def test_a_draw_short_of_kept_bytes_draws_again() -> None:
    draw, asked = _bytes_from(bytes([255] * 20 + [0, 1, 2]))
    assert random_id(3, draw) == "abc"
    assert len(asked) >= 2


def test_two_ids_differ() -> None:
    assert random_id(16) != random_id(16)


def test_flets_session_connection_registry_and_call_ids_come_from_it() -> None:
    install_fast_ids()
    install_fast_ids()  # idempotent
    for module in (flet_strings, flet.utils, flet_session, flet_page, flet_web_app):
        assert module.random_string is random_id
