"""Flet works out the type of a handler's event at every event; flet_compat keeps the answer
per class and handler (install_event_type_cache). It must be Flet's answer (the integration
tests then click, type and submit through it)."""

from __future__ import annotations

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


def flets_answer(control: Any, field_name: str) -> Any:
    """Flet's own function, called as Flet calls it: from a frame of base_control's module."""
    scope: dict[str, Any] = {}
    exec(  # a fixed text: the caller's globals are what Flet reads
        "def ask(control, field_name):\n    return get_event_field_type(control, field_name)\n",
        {**vars(base_control), "get_event_field_type": get_event_field_type},
        scope,
    )
    return scope["ask"](control, field_name)


@pytest.mark.parametrize(("cls", "handler"), HANDLERS)
def test_the_kept_answer_is_flets(cls: type[ft.Control], handler: str) -> None:
    install_event_type_cache()
    control = cls()
    expected = flets_answer(control, handler)
    assert base_control.get_event_field_type(control, handler) == expected
    assert base_control.get_event_field_type(cls(), handler) == expected  # kept, still right
