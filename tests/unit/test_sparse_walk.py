"""Flet's walk of the controls a session adds reads every field of every control; the patched
walk (flet_compat: install_walk_once, `_collect_sparse`) reads only where controls can be.
Both must find the same controls, leave them prepared alike (parent, built, clean change record)
in the same order (their build() runs in it) and make Flet send the same page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import flet as ft
import msgpack
import pytest
from flet.controls.base_control import BaseControl
from flet.controls.object_patch import DiffBuilder

from flet_chat import flet_compat
from flet_chat.flet_compat import _encode_control, install_walk_once
from flet_chat.ui.views.join_dialog import JoinDialog
from tests.unit.session_fakes import make_view, nothing


def session_page() -> ft.Column:
    """What a session's page holds at its start: the chat view, its drawer and the dialog."""
    view = make_view()
    dialog = JoinDialog(on_join=nothing)
    return ft.Column([*view.layout(), view.drawer, dialog.dialog])


def walk(root: ft.Control) -> list[Any]:
    builder = DiffBuilder(None, root, control_cls=BaseControl)
    return list(builder._configure_dataclass(root, None, False))


def relative(value: Any, base: int) -> Any:
    """`value` decoded from Flet's encoding, with control ids counted from the root's."""
    if isinstance(value, dict):
        return {k: (v - base if k == "_i" else relative(v, base)) for k, v in value.items()}
    if isinstance(value, list):
        return [relative(v, base) for v in value]
    return value


def described(root: ft.Control, found: list[Any]) -> dict[str, Any]:
    base = root._i
    parents = {}
    for control in found:
        parent_ref = getattr(control, "_parent", None)
        parent = parent_ref() if parent_ref else None
        parents[control._i - base] = parent._i - base if parent is not None else None
    return {
        "found": [c._i - base for c in found],  # in Flet's order: build() runs in it
        "parents": parents,
        "prepared": all(getattr(c, "_initialized", False) and not c._dirty for c in found),
        "sent": relative(msgpack.unpackb(msgpack.packb(root, default=_encode_control)), base),
    }


def test_the_sparse_walk_finds_and_prepares_what_flets_walk_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_walk_once()
    session_page()  # makes the controls a process shares (the "load older" button) beforehand
    sparse = DiffBuilder._configure_dataclass
    with monkeypatch.context() as flets_own:
        flets_own.setattr(DiffBuilder, "_configure_dataclass", sparse._flet_chat_original)
        reference = session_page()
        expected = described(reference, walk(reference))
    page = session_page()
    read_sparsely: list[Any] = []
    sparse_values = flet_compat._sparse_values

    def counted(control: Any) -> list[Any]:
        read_sparsely.append(control)
        return sparse_values(control)

    monkeypatch.setattr(flet_compat, "_sparse_values", counted)
    got = described(page, walk(page))
    assert len(got["found"]) > 40  # the whole page, not only its root
    assert got == expected
    assert got["prepared"]
    assert len(read_sparsely) > 30  # the sparse walk, not Flet's, found most of them


@dataclass
class Card(ft.Column):
    """A control subclass made with a plain @dataclass: its own field is no prop of Flet's."""

    footer: ft.Control | None = None


def test_a_field_flet_does_not_track_gets_flets_whole_walk() -> None:
    install_walk_once()
    card = Card(controls=[ft.Text("body")], footer=ft.Text("footer"))
    found = walk(card)
    assert [type(c).__name__ for c in found] == ["Card", "Text", "Text"]
    assert card.footer is not None
    assert card.footer._parent() is card


@ft.control("Board")  # type: ignore[arg-type]  # Flet 1.0.5 types it for its own classes
class Board(ft.Container):
    """A prop-tracked control holding controls in a dict and in lists inside a list."""

    slots: dict[str, ft.Control] | None = None
    grid: list[list[ft.Control]] | None = None


def board() -> Board:
    return Board(
        content=ft.Row([ft.Text("a"), ft.Text("b")]),
        slots={"left": ft.Text("c"), "right": ft.Column([ft.Text("d")])},
        grid=[[ft.Text("e"), ft.Text("f")], [ft.Text("g")]],
        border=ft.Border.all(1, "red"),  # a value object: Flet's own walk configures it
    )


def test_controls_in_dicts_and_nested_lists_are_found_as_flets_walk_finds_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_walk_once()
    sparse = DiffBuilder._configure_dataclass
    with monkeypatch.context() as flets_own:
        flets_own.setattr(DiffBuilder, "_configure_dataclass", sparse._flet_chat_original)
        reference = board()
        expected = described(reference, walk(reference))
    got_board = board()
    got = described(got_board, walk(got_board))
    assert len(got["found"]) == 10
    assert got == expected
    assert got["prepared"]
    assert got_board.border is not None
    assert got_board.border._parent() is got_board
