from __future__ import annotations

import pytest

from flet_chat.core.identity import IdentitySigner


def test_a_token_names_the_user_it_was_issued_for() -> None:
    signer = IdentitySigner("secret")
    assert signer.verify(signer.issue("Alice")) == "Alice"


@pytest.mark.parametrize("token", [None, "", "Alice", 42, "x.y.z"])
def test_junk_is_not_a_token(token: object) -> None:
    assert IdentitySigner("secret").verify(token) is None


def test_a_token_signed_with_another_key_or_edited_is_refused() -> None:
    token = IdentitySigner("other secret").issue("Alice")
    assert IdentitySigner("secret").verify(token) is None
    good = IdentitySigner("secret").issue("Alice")
    assert (
        IdentitySigner("secret").verify(good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1])
        is None
    )


def test_an_expired_token_is_refused() -> None:
    token = IdentitySigner("secret").issue("Alice")
    assert IdentitySigner("secret", max_age=-1).verify(token) is None
