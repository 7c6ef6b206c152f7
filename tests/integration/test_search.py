"""Search as a user meets it over Flet's protocol: the header's search button, the dialog's
results with the words bold, and a result opening its room at that message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flet_chat.core.models import MessageKind, NewMessage
from flet_chat.storage.engine import create_engine
from flet_chat.storage.migrate import upgrade_to_head_async
from flet_chat.storage.sql_store import SqlStore
from flet_chat.testing.flet_client import FletClient
from flet_chat.ui import keys
from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration


def results(client: FletClient) -> list[str]:
    """Each result's text as shown (its heading left out)."""
    found = client.in_dialog(keys.SEARCH_RESULTS)
    if found is None:
        return []
    return [client.texts(row)[1] for row in found.get("controls", [])]


def bold_words(client: FletClient) -> list[str]:
    found = client.in_dialog(keys.SEARCH_RESULTS)
    assert found is not None
    return [
        str(span.get("text"))
        for node in client.walk(found)
        for span in node.get("spans") or []
        if (span.get("style") or {}).get("weight") == "bold"
    ]


async def said_before(data_dir: Path, texts: list[str]) -> None:
    """History from before the server started (faster than sending it at the rate limit)."""
    url = f"sqlite+aiosqlite:///{data_dir / 'chat.db'}"
    await upgrade_to_head_async(url)
    engine = create_engine(url)
    store = SqlStore(engine)
    for text in texts:
        await store.add(NewMessage(MessageKind.CHAT, "Alice", text))
    await engine.dispose()


async def test_a_result_opens_its_room_at_that_message(
    server_factory: Callable[..., ServerProcess], connect: Connect, tmp_path: Path
) -> None:
    # Enough after it to push it off the newest page.
    fillers = [f"filler {i}" for i in range(60)]
    await said_before(tmp_path / "data", ["the launch checklist is ready", *fillers])
    server = server_factory(data_dir=tmp_path / "data")
    async with connect(server) as bob:
        await bob.join("Bob")
        await bob.wait_for(lambda: has_row(bob, "filler 59"), what="the fillers")
        assert not has_row(bob, "launch checklist")

        await bob.click(keys.SEARCH_BUTTON)
        await bob.wait_for(lambda: bob.in_dialog(keys.SEARCH_INPUT), what="the search dialog")
        await bob.type(keys.SEARCH_INPUT, "Launch")
        await bob.submit(keys.SEARCH_INPUT)
        await bob.wait_for(lambda: results(bob), what="results")
        assert results(bob) == ["the launch checklist is ready"]
        assert bold_words(bob) == ["launch"]

        row = bob.in_dialog(keys.SEARCH_RESULTS)
        assert row is not None
        await bob.click(row["controls"][0])
        await bob.wait_for(lambda: has_row(bob, "launch checklist"), what="the message shown")
        assert not bob.dialog_open()
        # Two newer messages below it, so it is in view with the list at its bottom.
        assert has_row(bob, "filler 1")
        assert not has_row(bob, "filler 2")
        assert not has_row(bob, "filler 59")  # not the newest page
        # The button's patch may come a frame after the rows'.
        await bob.wait_for(
            lambda: (
                (bob.find(keys.JUMP_TO_NEWEST_BUTTON) or {"visible": False}).get("visible")
                is not False
            ),
            what="the jump button",
        )
        await bob.click(keys.JUMP_TO_NEWEST_BUTTON)
        await bob.wait_for(lambda: has_row(bob, "filler 59"), what="back at the newest")
