"""Flet's validation keeps a record of reported errors on a control only once it has one
(flet_compat.install_lean_validation): valid controls carry no empty set, and a control that
stays invalid still raises once, not at every update, as in Flet."""

from __future__ import annotations

import flet as ft
import pytest

from flet_chat.flet_compat import install_lean_validation

RECORD = "__reported_validation_errors"


@pytest.fixture(autouse=True)
def lean() -> None:
    install_lean_validation()


def test_a_valid_control_keeps_no_record() -> None:
    text = ft.Text("hello")
    text._before_update_safe()  # what Flet's diff runs for each control it sends
    text._before_update_safe()
    assert not hasattr(text, RECORD)


def test_an_invalid_control_raises_once_then_again_after_it_was_valid() -> None:
    slider = ft.Slider(min=0, max=10, value=5)
    slider._before_update_safe()
    assert not hasattr(slider, RECORD)
    slider.value = 50  # above max
    with pytest.raises(ValueError, match="less than or equal to max"):
        slider._before_update_safe()
    slider._before_update_safe()  # the same error: reported already, not raised again
    assert getattr(slider, RECORD)
    slider.value = 5
    slider._before_update_safe()
    slider.value = 50
    with pytest.raises(ValueError, match="less than or equal to max"):  # reported anew
        slider._before_update_safe()
