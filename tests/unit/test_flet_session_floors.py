"""The benchmark's two Flet session floors: stock Flet, and Flet with Flet Chat's changes to it
installed (`flet-patched`), the same app otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.baselines import flet_session
from bench.servers import BenchServer

from flet_chat import flet_patches


def test_only_the_patched_floor_installs_flet_chats_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installed: list[bool] = []
    monkeypatch.setattr(flet_patches, "install_flet_patches", lambda: installed.append(True))

    flet_session.create_app()
    assert installed == []

    flet_session.create_app(patched=True)
    assert installed == [True]


def test_the_patched_floor_runs_the_same_app_with_the_flag(tmp_path: Path) -> None:
    stock = BenchServer("flet-session", tmp_path / "a", tmp_path / "a.log")
    patched = BenchServer("flet-patched", tmp_path / "b", tmp_path / "b.log")
    patched.port = stock.port

    assert patched.command() == [*stock.command(), "--patched"]
