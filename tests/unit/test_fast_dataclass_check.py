"""The dataclass check Flet's diff and encoder get: the same answers, kept per class."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import flet as ft
import msgpack
import pytest
from flet.controls import object_patch
from flet.messaging import protocol

from flet_chat.flet_compat import install_fast_dataclass_check, is_dataclass, pack_control


@dataclasses.dataclass
class Point:
    x: int


class Colour(enum.Enum):
    RED = 1


class Plain:
    pass


VALUES: list[Any] = [
    "text", 1, 2.5, None, True, [1], {"a": 1}, (1,), b"x", Colour.RED, Plain(), Plain,
    Point(1), Point, ft.Text("hi"), ft.Text, ft.Padding.all(2), ft.Padding, type, object,
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_answer_is_the_standard_librarys_every_time(value: Any) -> None:
    expected = dataclasses.is_dataclass(value)
    assert is_dataclass(value) is expected
    assert is_dataclass(value) is expected  # asked again: from what was kept


def test_a_class_is_never_answered_for_its_instances_or_the_other_way_round() -> None:
    assert is_dataclass(Point(1))
    assert is_dataclass(Point)
    assert not is_dataclass(Plain())
    assert not is_dataclass(Plain)
    assert is_dataclass(Point)
    assert not is_dataclass(type)  # Point and type are both instances of `type`


def test_flets_diff_and_encoder_use_it_and_still_send_the_same_controls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with monkeypatch.context() as standard:  # Flet's own check, whatever ran before
        standard.setattr(object_patch, "dataclasses", dataclasses)
        standard.setattr(protocol, "is_dataclass", dataclasses.is_dataclass)
        column = ft.Column([ft.Text("a", size=12), ft.Text("b")], spacing=3)
        before = msgpack.unpackb(pack_control(column), strict_map_key=False)
    install_fast_dataclass_check()
    install_fast_dataclass_check()  # idempotent
    assert object_patch.dataclasses.is_dataclass is is_dataclass
    assert object_patch.dataclasses.fields is dataclasses.fields
    assert protocol.is_dataclass is is_dataclass
    again = ft.Column([ft.Text("a", size=12), ft.Text("b")], spacing=3)
    after = msgpack.unpackb(pack_control(again), strict_map_key=False)

    def shape(tree: Any) -> Any:  # ids differ between the two columns
        if isinstance(tree, dict):
            return {k: shape(v) for k, v in tree.items() if k != "_i"}
        if isinstance(tree, list):
            return [shape(v) for v in tree]
        return tree

    assert shape(after) == shape(before)
    assert [c["value"] for c in after["controls"]] == ["a", "b"]
