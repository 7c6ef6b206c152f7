"""Flet works out the type of a handler's event at every event; flet_compat keeps the answer
per class and handler (install_event_type_cache). It must be Flet's answer, worked out once
(the integration tests then click, type and submit through it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import flet as ft
import pytest
from flet.controls import base_control
from flet.controls.control_event import get_event_field_type

from flet_chat.flet_compat import install_event_type_cache

HANDLERS = [
    (ft.TextField, "on_submit"),
    (ft.TextField, "on_change"),
    (ft.IconButton, "on_click"),
    (ft.AlertDialog, "on_dismiss"),
    (ft.PopupMenuItem, "on_click"),
]


@pytest.fixture
def flets_own() -> Iterator[list[tuple[type, str]]]:
    """Flet's function as base_control holds it, counting its calls; put back afterwards."""
    before = base_control.get_event_field_type  # type: ignore[attr-defined]
    calls: list[tuple[type, str]] = []

    def counted(control: Any, field_name: str) -> Any:
        calls.append((type(control), field_name))
        return get_event_field_type(control, field_name)

    base_control.get_event_field_type = counted  # type: ignore[attr-defined]
    yield calls
    base_control.get_event_field_type = before  # type: ignore[attr-defined]


def flets_answer(control: Any, field_name: str) -> Any:
    """Flet's own function, called from a frame of base_control's module, as Flet calls it."""
    scope: dict[str, Any] = {}
    exec(  # a fixed text: the caller's globals are what Flet reads
        "def ask(control, field_name):\n    return get_event_field_type(control, field_name)\n",
        {**vars(base_control), "get_event_field_type": get_event_field_type},
        scope,
    )
    return scope["ask"](control, field_name)


@pytest.mark.parametrize(("cls", "handler"), HANDLERS)
def test_the_kept_answer_is_flets_and_is_worked_out_once(
    cls: type[ft.Control], handler: str, flets_own: list[tuple[type, str]]
) -> None:
    install_event_type_cache()
    expected = flets_answer(cls(), handler)
    assert expected is not None
    for _ in range(3):
        assert base_control.get_event_field_type(cls(), handler) == expected  # type: ignore[attr-defined]
    assert flets_own == [(cls, handler)]


async def test_events_a_client_makes_up_keep_nothing(flets_own: list[tuple[type, str]]) -> None:
    """A client may send any event name: one no control has is refused before the type is
    asked for, so the answers kept stay bounded by the classes and their handlers."""
    install_event_type_cache()
    field = ft.TextField()
    for forged in ("forged", "x" * 10_000, "submit\u200b"):
        await field._trigger_event(forged, None)
    assert flets_own == []
