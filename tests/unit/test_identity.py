from __future__ import annotations

from pathlib import Path

import pytest

from flet_chat.core.identity import IdentitySigner
from flet_chat.settings import Settings


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


def test_without_a_configured_key_one_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    key = settings.resolved_secret_key()
    assert len(key) >= 32
    assert Settings(data_dir=tmp_path / "data").resolved_secret_key() == key
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert Settings(data_dir=tmp_path / "data", secret_key="set").resolved_secret_key() == "set"


@pytest.mark.parametrize("old_name", ["\uff28ank", "Jose\u0301", "Han  k", " Hank"])
def test_a_token_for_a_name_that_now_cleans_to_another_proves_nothing(old_name: str) -> None:
    """Before names were normalised, a fullwidth "Hank" could join beside "Hank". Its token must not
    now prove "Hank": that is someone else, with their direct conversations."""
    signer = IdentitySigner("k" * 32)
    assert signer.verify(signer.issue(old_name)) is None
    assert signer.verify(signer.issue("Hank")) == "Hank"
