"""Flet's pages equal only to themselves (flet_compat.install_identity_equal_pages): the diff
asks at every control under the page whether that parent is the control updated, and a page
compared by value built two tuples of its 64 fields for each ask. The frames sent are the same."""

from __future__ import annotations

from typing import Any
from unittest import mock

import flet as ft
import pytest

from flet_chat import flet_compat
from flet_chat.flet_compat import _same_object, install_identity_equal_pages
from tests.unit.test_service_sends import registered_session


def _updates_of_a_page() -> list[Any]:
    """What a session is sent for a first add, a page prop changed and a dialog shown."""
    session, wire = registered_session()
    page = session.page
    page.add(ft.Column([ft.Text("hello"), ft.Row([ft.TextField(label="name")])]))
    page.bgcolor = ft.Colors.AMBER
    page.update()
    page.show_dialog(ft.AlertDialog(title=ft.Text("Join"), modal=True))
    return [_without_ids(frame) for frame in wire.sent]


def _without_ids(value: Any) -> Any:
    """A frame with control ids left out: two runs number their controls from different
    points of the process's counter."""
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in ("_i", "id")}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


async def test_a_page_updates_as_before_and_its_equality_is_no_longer_asked_of_its_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[Any, Any]] = []

    def by_value_counted(self: Any, other: Any) -> Any:
        asked.append((self, other))
        return flet_compat._FLET_PAGE_EQ(self, other)  # the dataclass's own, field by field

    monkeypatch.setattr(ft.Page, "__eq__", by_value_counted)
    before = _updates_of_a_page()
    assert asked, "Flet's diff no longer compares the page: the install has nothing to save"

    install_identity_equal_pages()  # undone with the monkeypatch at the test's end
    install_identity_equal_pages()  # idempotent
    asked.clear()
    after = _updates_of_a_page()
    assert asked == []
    assert after == before
    assert len(after) >= 3  # the add, the update and the dialog each went out


async def test_a_page_is_equal_to_itself_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ft.Page, "__eq__", ft.Page.__eq__)  # restored at the test's end
    hashed = ft.Page.__hash__
    install_identity_equal_pages()
    assert ft.Page.__eq__ is _same_object
    assert ft.Page.__hash__ is hashed
    one, _ = registered_session()
    other, _ = registered_session()
    assert one.page == one.page
    assert one.page != other.page
    assert one.page != ft.Text("a page?")
    assert one.page == mock.ANY  # the other side still has its say
