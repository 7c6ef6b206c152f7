"""What Flet's encoder keeps of a control's dicts for its next diff: no copy of an empty one
(flet_compat, "The empty dict copies"), and the client still sees every change.

The same steps run twice in a real session: once with Flet's own encoder, once with ours. A
client mirror (the test client's patch logic) takes every frame; after each step both pages must
read the same but for the controls' ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft
import pytest

from flet_chat import flet_compat
from flet_chat.testing.flet_client import FletClient
from tests.unit.test_append_patch import RecordingFletApp, in_a_session, replay, without_ids

SNAPSHOTS = "__prev_dicts"


def steps(page: ft.Page) -> list[Callable[[], None]]:
    first, second = ft.Text("a"), ft.Text("b", size=12)
    column = ft.Column([first, second], spacing=3)
    button = ft.IconButton(ft.Icons.SEND, style=ft.ButtonStyle(color={"": ft.Colors.RED}))

    def set_internal() -> None:
        first._internals["mark"] = 1
        page.update()

    def change_internal() -> None:
        first._internals["mark"] = 2
        second._internals["other"] = "x"
        page.update()

    def empty_again() -> None:
        first._internals.clear()
        page.update()

    def value_and_internal() -> None:
        first.value = "a2"
        first._internals["mark"] = 3
        page.update()

    def replaced_style() -> None:
        button.style = ft.ButtonStyle(color={"": ft.Colors.BLUE})
        page.update()

    return [
        lambda: page.add(column, button),
        set_internal,
        change_internal,
        empty_again,
        value_and_internal,
        replaced_style,
        lambda: column.controls.append(ft.Text("c")) or page.update(),
    ]


async def page_after_each_step(monkeypatch: pytest.MonkeyPatch, *, flets_own: bool) -> list[Any]:
    seen: list[Any] = []
    mirror = FletClient("ws://unused")
    copies: list[dict[str, Any]] = []

    def run(page: ft.Page, app: RecordingFletApp) -> None:
        for step in steps(page):
            step()
            replay(mirror, app.frames)
            app.frames.clear()
            seen.append(without_ids(mirror._by_id[page.views[0]._i]["controls"]))
        copies.extend(getattr(text, SNAPSHOTS) for text in page.views[0].controls[0].controls)

    with monkeypatch.context() as patched:
        if flets_own:
            patched.setattr(flet_compat, "_encode_control", flet_compat._flet_encode)
        await in_a_session(run)
    return [seen, copies]


async def test_the_client_sees_every_change_as_with_flets_own_copies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flets, flets_copies = await page_after_each_step(monkeypatch, flets_own=True)
    ours, our_copies = await page_after_each_step(monkeypatch, flets_own=False)
    assert len(ours) == len(flets) == 7
    for number, (expected, got) in enumerate(zip(flets, ours, strict=True)):
        assert got == expected, f"step {number}"
    # The changes did reach the client, and the last step's new row too.
    texts = ours[-1][0]["controls"]
    assert [t["value"] for t in texts] == ["a2", "b", "c"]
    assert texts[0]["_internals"] == {"mark": 3}
    assert texts[1]["_internals"] == {"other": "x"}
    assert ours[-1][1]["style"]["color"] == {"": ft.Colors.BLUE.value}
    # Flet's own encoder kept a copy of the new row's empty `_internals`; ours did not.
    assert "_internals" in flets_copies[2]
    assert "_internals" not in our_copies[2]
    assert our_copies[0]["_internals"] == {"mark": 3}


async def test_no_copy_of_an_empty_internals_dict_is_kept() -> None:
    copies: list[Any] = []

    def run(page: ft.Page, _app: RecordingFletApp) -> None:
        text = ft.Text("a")
        full = ft.Text("b")
        full._internals["mark"] = 1
        page.add(ft.Column([text, full]))
        copies.extend([getattr(text, SNAPSHOTS), getattr(full, SNAPSHOTS)])
        copies.append(getattr(page.views[0].controls[0], "__prev_lists"))

    await in_a_session(run)  # Flet logs what `run` raises: the checks are made here
    text_copies, full_copies, column_lists = copies
    assert "_internals" not in text_copies
    assert full_copies["_internals"] == {"mark": 1}
    assert [t.value for t in column_lists["controls"]] == ["a", "b"]
