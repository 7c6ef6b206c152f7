"""Controls share one empty snapshot table (flet_compat, "The empty snapshot tables"), and the
client still sees every change: each table a control fills for the first time after it was sent
(a list, a dict, a nested value or control set later, or changed in place after that) reaches
the client as it does with Flet's own tables.

The same steps run twice in a real session, once with Flet's own encoder and tables and once
with ours and shared tables; a client mirror (the test client's patch logic) takes every frame,
and after each step both pages must read the same but for the controls' ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft
import pytest

from flet_chat import flet_compat
from flet_chat.testing.flet_client import FletClient
from tests.unit.test_append_patch import RecordingFletApp, in_a_session, replay, without_ids

TABLES = ("__prev_lists", "__prev_dicts", "__prev_classes")


def steps(page: ft.Page, seen_tables: list[Any]) -> list[Callable[[], None]]:
    text = ft.Text("a")
    box = ft.Container()
    row = ft.Row([ft.Text("r1")])
    button = ft.IconButton(ft.Icons.SEND)

    def added() -> None:
        page.add(ft.Column([text, box, row, button]))
        seen_tables.extend(getattr(text, name) for name in TABLES)

    def spans_set() -> None:
        text.spans = [ft.TextSpan("s1")]
        page.update()

    def spans_grown_in_place() -> None:
        text.spans.append(ft.TextSpan("s2"))  # type: ignore[union-attr]
        page.update()

    def content_set() -> None:
        box.content = ft.Text("inside")
        page.update()

    def content_changed_inside() -> None:
        box.content.value = "inside, changed"  # type: ignore[union-attr]
        page.update()

    def padding_set() -> None:
        box.padding = ft.Padding.all(3)
        page.update()

    def internals_set() -> None:
        text._internals["mark"] = 1
        page.update()

    def row_grown() -> None:
        row.controls.append(ft.Text("r2"))
        page.update()

    def content_dropped() -> None:
        box.content = None
        page.update()

    def style_set_then_changed() -> None:
        button.style = ft.ButtonStyle(color={"": ft.Colors.RED})
        page.update()
        button.style = ft.ButtonStyle(color={"": ft.Colors.BLUE})
        page.update()

    def spans_dropped() -> None:
        text.spans = None
        text.value = "a2"
        page.update()

    return [
        added,
        spans_set,
        spans_grown_in_place,
        content_set,
        content_changed_inside,
        padding_set,
        internals_set,
        row_grown,
        content_dropped,
        style_set_then_changed,
        spans_dropped,
    ]


async def page_after_each_step(
    monkeypatch: pytest.MonkeyPatch, *, shared: bool
) -> tuple[list[Any], list[Any]]:
    seen: list[Any] = []
    tables: list[Any] = []
    mirror = FletClient("ws://unused")

    def run(page: ft.Page, app: RecordingFletApp) -> None:
        for step in steps(page, tables):
            step()
            replay(mirror, app.frames)
            app.frames.clear()
            seen.append(without_ids(mirror._by_id[page.views[0]._i]["controls"]))

    flet_compat.install_shared_empty_snapshots()
    with monkeypatch.context() as patched:
        patched.setattr(flet_compat, "_share_empty_snapshots", shared)
        if not shared:  # Flet's own encoder too, not ours (flet_compat, "The encoder's lookups")
            patched.setattr(flet_compat, "_encode_control", flet_compat._encode_unplanned)
        await in_a_session(run)
    return seen, tables


async def test_the_client_sees_every_change_as_with_flets_own_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flets, flets_tables = await page_after_each_step(monkeypatch, shared=False)
    ours, our_tables = await page_after_each_step(monkeypatch, shared=True)
    assert len(ours) == len(flets) == 11
    for number, (expected, got) in enumerate(zip(flets, ours, strict=True)):
        assert got == expected, f"step {number}"
    # The tables were shared (a Text sent with no list, dict or nested value has three empty
    # ones), where Flet's own are three of the Text's own.
    assert all(table is flet_compat._NO_SNAPSHOTS for table in our_tables)
    assert not any(table is flet_compat._NO_SNAPSHOTS for table in flets_tables)
    assert flet_compat._NO_SNAPSHOTS == {}
    # And the changes did reach the client.
    column = ours[-1][0]
    text, box, row, button = column["controls"]
    assert text["value"] == "a2"
    assert text.get("spans") is None
    assert [s["text"] for s in ours[2][0]["controls"][0]["spans"]] == ["s1", "s2"]
    assert ours[4][0]["controls"][1]["content"]["value"] == "inside, changed"
    assert box.get("content") is None
    assert box["padding"]["left"] == 3
    assert text["_internals"] == {"mark": 1}
    assert [t["value"] for t in row["controls"]] == ["r1", "r2"]
    assert button["style"]["color"] == {"": ft.Colors.BLUE.value}


def test_the_shared_table_refuses_writes() -> None:
    for write in (
        lambda t: t.__setitem__("controls", []),
        lambda t: t.pop("controls", None),
        lambda t: t.update(controls=[]),
        lambda t: t.setdefault("controls", []),
        lambda t: t.clear(),
    ):
        with pytest.raises(TypeError, match="read-only"):
            write(flet_compat._NO_SNAPSHOTS)
    assert flet_compat._NO_SNAPSHOTS == {}
