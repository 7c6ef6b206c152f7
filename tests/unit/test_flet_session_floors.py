"""The benchmark's two Flet session floors: the app on stock Flet, and the same app served as our
server serves a session (`flet-patched`)."""

from __future__ import annotations

import gc
from pathlib import Path

import flet as ft
import pytest
from bench.baselines import flet_session
from bench.run import parse_targets, plan
from bench.servers import BenchServer
from fastapi import FastAPI, WebSocket

from flet_chat import flet_patches, logs, server


def test_only_the_patched_floor_is_served_as_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    done: list[str] = []
    for module, name in (
        (flet_patches, "install_flet_patches"),
        (server, "install_lean_socket_waits"),
        (logs, "configure_logging"),
        (gc, "freeze"),  # the test process's objects stay the collector's
    ):
        monkeypatch.setattr(module, name, lambda *_args, name=name: done.append(name))

    stock = flet_session.create_app()
    assert done == []
    assert isinstance(stock, FastAPI)

    patched = flet_session.create_app(patched=True)
    assert sorted(done) == [
        "configure_logging",
        "freeze",
        "install_flet_patches",
        "install_lean_socket_waits",
    ]
    assert not isinstance(patched, FastAPI)  # Flet's socket is taken before Flet's app

    async def endpoint(_socket: WebSocket) -> None:
        """Only the router's name is compared."""

    assert patched.__qualname__ == server.flet_socket_first(stock, endpoint).__qualname__


def test_the_patched_floor_runs_the_same_app_with_the_flag(tmp_path: Path) -> None:
    stock = BenchServer("flet-session", tmp_path / "a", tmp_path / "a.log")
    patched = BenchServer("flet-patched", tmp_path / "b", tmp_path / "b.log")
    patched.port = stock.port

    assert patched.command() == [*stock.command(), "--patched"]


def test_every_change_of_ours_to_flet_is_in_the_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new `flet_compat.install_*` left out of `install_flet_patches` would be missing from
    the patched floor (and from the server, which makes the same call)."""
    from flet_chat import flet_compat, lean_inits

    expected = {name for name in dir(flet_compat) if name.startswith("install_")}
    expected.add(lean_inits.install_lean_inits.__name__)
    called: list[str] = []
    for name in expected:
        monkeypatch.setattr(flet_patches, name, lambda name=name: called.append(name))

    flet_patches.install_flet_patches()

    assert sorted(called) == sorted(expected)


def test_only_a_run_that_names_the_patched_floor_runs_it() -> None:
    def running_it(quick: bool, targets: list[str]) -> set[str]:
        return {s.name for s in plan(quick, targets) if "flet-patched" in s.targets}

    assert "flet-patched" not in parse_targets(None, quick=False)
    assert "flet-patched" not in parse_targets(None, quick=True)
    assert running_it(False, parse_targets("ours,flet-patched", quick=False)) == {
        "room-50",
        "room-200",
        "room-500",
        "room-1000",
        "joins-1000",
        "churn-1000",
    }
    assert running_it(True, ["ours", "flet-patched"]) == {"room-20", "room-50", "churn-100"}
    assert running_it(True, ["ours", "flet-session"]) == set()


def test_the_extra_controls_are_as_many_as_asked() -> None:
    def controls(count: int) -> int:
        tops = flet_session.extra_controls(count)
        return len(tops) + sum(len(top.controls) for top in tops if isinstance(top, ft.Column))

    assert [controls(n) for n in (0, 1, 2, 49)] == [0, 1, 2, 49]
