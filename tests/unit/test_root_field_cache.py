"""Flet's encoder looks up each internal field as the first base class declared it; the answer
is kept per class and field (flet_compat.install_root_field_cache), and must be Flet's."""

from __future__ import annotations

import flet as ft
import msgpack
from flet.controls.base_control import BaseControl
from flet.messaging import protocol as flet_protocol

from flet_chat.flet_compat import install_root_field_cache
from flet_chat.ui.controls.chat_message import sample_row


def _controls() -> list[BaseControl]:
    return [
        ft.Text("hello", size=12),
        ft.TextField(label="Name", password=True),
        ft.Column([ft.Row([ft.IconButton(ft.Icons.SEND)])]),
        ft.AlertDialog(title=ft.Text("Welcome!"), modal=True),
        sample_row(),
    ]


def _encoded(controls: list[BaseControl]) -> list[bytes]:
    encode = flet_protocol.configure_encode_object_for_msgpack(BaseControl)
    return [msgpack.packb(control, default=encode) for control in controls]


def test_the_kept_answer_is_flet_s() -> None:
    install_root_field_cache()
    original = flet_protocol._get_root_dataclass_field.__wrapped__  # type: ignore[attr-defined]
    cached = flet_protocol._get_root_dataclass_field
    assert cached is not original
    for control in _controls():
        for cls in type(control).__mro__:
            for name in getattr(cls, "__dataclass_fields__", {}):
                assert cached(type(control), name) is original(type(control), name)
        assert cached(type(control), "no_such_field") is None
    install_root_field_cache()  # idempotent
    assert flet_protocol._get_root_dataclass_field is cached


def test_controls_are_encoded_as_flet_encodes_them() -> None:
    install_root_field_cache()
    cached = flet_protocol._get_root_dataclass_field
    controls = _controls()
    flet_protocol._get_root_dataclass_field = cached.__wrapped__  # type: ignore[attr-defined]
    try:
        flet_s = _encoded(controls)
    finally:
        flet_protocol._get_root_dataclass_field = cached
    assert _encoded(controls) == flet_s
