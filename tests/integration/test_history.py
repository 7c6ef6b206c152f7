"""History survives restarts; a session shows the last 50 and pages back, holding <=200 rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flet_chat.core.limits import MAX_RENDERED_MESSAGES
from flet_chat.testing.flet_client import FletClient
from flet_chat.ui.views.message_list import CHUNK_SIZE
from tests.integration.conftest import Connect, has_row
from tests.support.seed import seed_messages
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration


async def shown(
    reader: FletClient, rows_are: Callable[[list[str]], bool], *, older: bool, what: str
) -> None:
    """The rows come in one ready-made splice, "Load older" with them (ui/updates.py)."""
    await reader.wait_for(
        lambda: (
            rows_are(reader.message_rows())
            and (reader.find("load_older_button") is not None) == older
        ),
        what=what,
    )


async def test_restart_keeps_history(
    server_factory: Callable[..., ServerProcess], connect: Connect, tmp_path: Path
) -> None:
    data_dir = tmp_path / "kept"
    first = server_factory(data_dir=data_dir)
    async with connect(first) as alice:
        await alice.join("Alice")
        await alice.send("remember me")
        await alice.wait_for(lambda: has_row(alice, "remember me"))
    first.stop()

    second = server_factory(data_dir=data_dir)
    async with connect(second) as bob:
        await bob.wait_for(lambda: has_row(bob, "remember me"), what="history after restart")
        assert has_row(bob, "Alice has joined the chat.")


async def test_new_session_sees_the_last_50_and_pages_back(
    server_factory: Callable[..., ServerProcess], connect: Connect, tmp_path: Path
) -> None:
    await seed_messages(tmp_path / "data", 260)
    server = server_factory()
    async with connect(server) as reader:
        await shown(reader, lambda rows: len(rows) == 50, older=True, what="50 rows")
        assert reader.message_rows()[0].endswith("history 210")
        assert reader.message_rows()[-1].endswith("history 259")

        for expected_first in (160, 110, 60):
            await reader.click("load_older_button")
            await shown(
                reader,
                lambda rows, n=expected_first: rows[0].endswith(f"history {n}"),
                older=True,
                what=f"rows from history {expected_first}",
            )
            assert len(reader.message_rows()) <= 200
        # The fourth page pushed the window past 200 rows: the newest were let go.
        assert reader.message_rows()[-1].endswith("history 259")
        await reader.click("load_older_button")
        await shown(reader, lambda rows: rows[0].endswith("history 10"), older=True, what="10")
        assert len(reader.message_rows()) == 200
        assert reader.message_rows()[-1].endswith("history 209")
        assert reader.get("jump_to_newest_button").get("visible") is not False

        await reader.click("load_older_button")
        # The beginning of history: no "Load older" any more.
        await shown(reader, lambda rows: rows[0].endswith("history 0"), older=False, what="0")

        await reader.click("jump_to_newest_button")
        await reader.wait_for(lambda: reader.message_rows()[-1].endswith("history 259"))
        assert len(reader.message_rows()) == 50


async def test_live_messages_never_grow_a_session_past_200_rows(
    server_factory: Callable[..., ServerProcess], connect: Connect, tmp_path: Path
) -> None:
    await seed_messages(tmp_path / "data", 195)
    server = server_factory()
    async with connect(server) as reader, connect(server) as writer:
        await shown(reader, lambda rows: len(rows) == 50, older=True, what="50 rows")
        for expected in (100, 150, 195):
            await reader.click("load_older_button")
            await shown(
                reader,
                lambda rows, n=expected: len(rows) == n,
                older=expected < 195,
                what=f"{expected} rows",
            )
        await writer.join("Writer")
        for i in range(8):
            await writer.send(f"live {i}")
        await reader.wait_for(lambda: has_row(reader, "live 7"), what="the last live message")
        # 204 messages: the oldest fall off a chunk at a time, never past the cap.
        rows = reader.message_rows()
        assert MAX_RENDERED_MESSAGES - CHUNK_SIZE < len(rows) <= MAX_RENDERED_MESSAGES
        assert not has_row(reader, "history 0")
        assert rows[-1].endswith("live 7")
        await shown(reader, lambda rows: not has_row(reader, "history 0"), older=True, what="older")


async def test_load_older_pages_only_the_session_that_clicked_it(
    server_factory: Callable[..., ServerProcess], connect: Connect, tmp_path: Path
) -> None:
    """Every session is sent the process's one "Load older" button, with the same control id:
    a click (or a client naming that id on purpose) pages the clicking session alone."""
    await seed_messages(tmp_path / "data", 120)
    server = server_factory()
    async with connect(server) as alice, connect(server) as bob:
        for reader in (alice, bob):
            await shown(reader, lambda rows: len(rows) == 50, older=True, what="50 rows")
        assert alice.get("load_older_button")["_i"] == bob.get("load_older_button")["_i"]

        await bob.click("load_older_button")
        await shown(bob, lambda rows: rows[0].endswith("history 20"), older=True, what="20")
        assert alice.message_rows()[0].endswith("history 70")  # the first page, untouched

        await alice.click("load_older_button")
        await shown(alice, lambda rows: rows[0].endswith("history 20"), older=True, what="20")
        await bob.click("load_older_button")  # Bob's own next page, not a second one of Alice's
        await shown(bob, lambda rows: rows[0].endswith("history 0"), older=False, what="0")
        assert alice.message_rows()[0].endswith("history 20")
