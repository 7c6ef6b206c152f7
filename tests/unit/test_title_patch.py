"""The tab title's ready-made patch (flet_compat.send_page_title) says what Flet's diff of the
page says, and leaves the page so that Flet's next diff does not send the title again."""

from __future__ import annotations

from typing import Any

import flet as ft

from flet_chat.flet_compat import send_page_title
from flet_chat.testing.flet_client import PATCH, decode
from tests.unit.test_append_patch import RecordingFletApp, in_a_session


async def test_the_title_patch_matches_flets_diff_of_the_page() -> None:
    frames: dict[str, list[Any]] = {}
    ready_made = 0

    def compare(page: ft.Page, app: RecordingFletApp) -> None:
        nonlocal ready_made
        page.title = "Flet Chat"
        page.add(ft.Column([ft.Text("a"), ft.TextField(value="draft")]))

        def sent_by(action: Any) -> list[Any]:
            start = len(app.frames)
            action()
            return [decode(frame) for frame in app.frames[start:]]

        def diffed() -> None:
            page.title = "(2) Flet Chat"
            page.update()

        frames["diff"] = sent_by(diffed)
        frames["ready_made"] = sent_by(lambda: send_page_title(page, "(3) Flet Chat"))
        frames["after"] = sent_by(page.update)
        ready_made = app.ready_made

    await in_a_session(compare, timeout=10)
    assert len(frames) == 3, "the session did not get through the comparison (see the log)"
    [diff] = frames["diff"]
    [ready] = frames["ready_made"]
    assert diff[0] == ready[0] == PATCH
    assert ready[1]["id"] == diff[1]["id"]
    assert diff[1]["patch"] == [[0], [0, 0, "title", "(2) Flet Chat"]]
    assert ready[1]["patch"] == [[0], [0, 0, "title", "(3) Flet Chat"]]
    assert frames["after"] == []  # nothing left for Flet's own diff to send
    assert ready_made == 1
