"""A dialog asked for again while it is still closing: Flutter says it is gone (its "dismiss")
only after the closing animation, and until then the page still holds it."""

from __future__ import annotations

from flet_chat.testing.flet_client import FletClient, Node
from flet_chat.ui import keys
from flet_chat.ui.session.screen import DISMISS_WAIT_SECONDS
from tests.integration.conftest import Connect
from tests.support.server import ServerProcess


def dialog_holding(client: FletClient, key: str) -> Node:
    dialogs = client.page.get("_dialogs", {}).get("controls", [])
    return next(d for d in dialogs if any(c.get("key") == key for c in client.walk(d)))


async def test_search_opened_again_while_it_closes_shows_once_it_is_gone(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        await alice.click(keys.SEARCH_BUTTON)
        await alice.wait_for(lambda: alice.in_dialog(keys.SEARCH_INPUT), what="the search dialog")
        search = dialog_holding(alice, keys.SEARCH_INPUT)
        await alice.click(keys.SEARCH_CLOSE)
        await alice.wait_for(lambda: not alice.dialog_open(), what="the dialog closing")
        # Clicked again before Flutter has said the first one is gone.
        await alice.click(keys.SEARCH_BUTTON)
        await alice.dismissed(search)
        await alice.wait_for(lambda: alice.in_dialog(keys.SEARCH_INPUT), what="search again")
        # And it still closes and opens as before.
        again = dialog_holding(alice, keys.SEARCH_INPUT)
        await alice.click(keys.SEARCH_CLOSE)
        await alice.wait_for(lambda: not alice.dialog_open(), what="the dialog closing")
        await alice.dismissed(again)
        await alice.click(keys.SEARCH_BUTTON)
        await alice.wait_for(lambda: alice.in_dialog(keys.SEARCH_INPUT), what="search a third time")


async def test_search_asked_for_while_the_browser_closes_it_does_not_end_the_session(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        await alice.click(keys.SEARCH_BUTTON)
        await alice.wait_for(lambda: alice.in_dialog(keys.SEARCH_INPUT), what="the search dialog")
        search = dialog_holding(alice, keys.SEARCH_INPUT)
        # A tap outside closes it in the browser, which says so after the animation; a click
        # on the search button gets to the server first.
        await alice.click(keys.SEARCH_BUTTON)
        await alice.dismissed(search)
        await alice.click(keys.SEARCH_BUTTON)
        await alice.wait_for(lambda: alice.in_dialog(keys.SEARCH_INPUT), what="search again")
        assert len(alice.open_dialogs()) == 1


async def test_a_dialog_whose_dismissal_never_comes_is_shown_again_all_the_same(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        await alice.click(keys.SEARCH_BUTTON)
        await alice.wait_for(lambda: alice.in_dialog(keys.SEARCH_INPUT), what="the search dialog")
        await alice.click(keys.SEARCH_CLOSE)
        await alice.wait_for(lambda: not alice.dialog_open(), what="the dialog closing")
        # Asked for again; the browser never says the first one is gone (a reconnect rebuilt
        # its page). It shows once the server stops waiting for that.
        await alice.click(keys.SEARCH_BUTTON)
        await alice.wait_for(
            lambda: alice.in_dialog(keys.SEARCH_INPUT),
            what="search again",
            timeout=DISMISS_WAIT_SECONDS + 10,
        )
        assert len(alice.open_dialogs()) == 1
