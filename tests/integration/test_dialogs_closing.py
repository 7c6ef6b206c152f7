"""A dialog asked for again while it is still closing: Flutter says it is gone (its "dismiss")
only after the closing animation, and until then the page still holds it."""

from __future__ import annotations

from collections.abc import Callable

from flet_chat.testing.flet_client import INVOKE_METHOD, FletClient, Node, encode
from flet_chat.ui import keys
from tests.integration.conftest import Connect
from tests.integration.test_ghosts import poll
from tests.support.server import ServerProcess


def dialog_holding(client: FletClient, key: str) -> Node:
    dialogs = client.page.get("_dialogs", {}).get("controls", [])
    return next(d for d in dialogs if any(c.get("key") == key for c in client.walk(d)))


async def open_search(client: FletClient, what: str = "the search dialog") -> Node:
    """Click the search button, wait for its dialog; returns the dialog as the client has it."""
    await client.click(keys.SEARCH_BUTTON)
    await client.wait_for(lambda: client.in_dialog(keys.SEARCH_INPUT), what=what)
    return dialog_holding(client, keys.SEARCH_INPUT)


async def close_search(client: FletClient) -> None:
    """Click its close button; the server closes it (Flutter has not said it is gone yet)."""
    await client.click(keys.SEARCH_CLOSE)
    await client.wait_for(lambda: not client.dialog_open(), what="the dialog closing")


async def test_search_opened_again_while_it_closes_shows_once_it_is_gone(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        search = await open_search(alice)
        await close_search(alice)
        # Clicked again before Flutter has said the first one is gone.
        await alice.click(keys.SEARCH_BUTTON)
        await alice.dismissed(search)
        await alice.wait_for(lambda: alice.in_dialog(keys.SEARCH_INPUT), what="search again")
        # And it still closes and opens as before.
        again = dialog_holding(alice, keys.SEARCH_INPUT)
        await close_search(alice)
        await alice.dismissed(again)
        await open_search(alice, what="search a third time")


async def test_search_asked_for_while_the_browser_closes_it_does_not_end_the_session(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        search = await open_search(alice)
        # A tap outside closes it in the browser, which says so after the animation; a click
        # on the search button gets to the server first.
        await alice.click(keys.SEARCH_BUTTON)
        await alice.dismissed(search)
        await open_search(alice, what="search again")
        assert len(alice.open_dialogs()) == 1


async def test_a_focus_answered_after_its_dialog_is_gone_does_not_end_the_session(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        search = await open_search(alice)
        # Search clicked again while the browser closes it: the server asks again for the
        # caret in its field, and the browser answers only after it has said the dialog is gone.
        alice.hold_replies()
        await alice.click(keys.SEARCH_BUTTON)
        await alice.wait_for(lambda: alice.held_replies, what="the call for the caret")
        await alice.dismissed(search)
        await alice.wait_for(
            lambda: search not in alice.page.get("_dialogs", {}).get("controls", []),
            what="the dialog off the page",
        )
        await alice.release_replies()
        await open_search(alice, what="search again")
        await alice.send("still here")
        await alice.wait_for(
            lambda: "still here" in alice.message_rows()[-1], what="the message shown"
        )


async def test_forged_and_replayed_answers_do_not_end_the_session(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        alice.hold_replies()
        search = await open_search(alice)
        await alice.wait_for(lambda: alice.held_replies, what="the call for the caret")
        answers = list(alice.held_replies or [])
        await alice.release_replies()
        for answer in answers:  # replayed: the call was answered already
            await alice.send_frame(answer)
        for control_id, call_id in ((10**9, "forged"), (search["_i"], "forged"), ("x", "y")):
            # A control that never was, a real one with a call never made, a malformed id.
            forged = {"control_id": control_id, "call_id": call_id, "result": 1, "error": None}
            await alice.send_frame(encode(INVOKE_METHOD, forged))
        await close_search(alice)
        await alice.dismissed(search)
        await open_search(alice, what="search again")
        await close_search(alice)
        await alice.send("still here")
        await alice.wait_for(
            lambda: "still here" in alice.message_rows()[-1], what="the message shown"
        )


async def test_a_dialog_closing_when_the_connection_dropped_shows_again_after_it(
    server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    server = server_factory(env={"FLET_CHAT_LOG_LEVEL": "DEBUG"})  # Flet logs the drop then
    async with connect(server) as alice:
        await alice.join("Alice")
        await open_search(alice)
        await close_search(alice)
        alice.abort()  # the connection dropped while it closed: its "dismiss" never comes
        # A tab comes back to its session once the server has seen the drop: Flet gives a
        # reconnect that comes first a new session (the tab's stored token then restores
        # the user, in a page without the old one's dialogs).
        gone = f"Session disconnected: _{alice.session_id}_"  # Flet's key: _<id>_<client hash>
        await poll(lambda: gone in server.log_text(), what="the server to see the tab go")
        async with connect(server, alice.session_id) as back:
            await back.wait_for(lambda: back.find(keys.SEARCH_BUTTON), what="the page again")
            await open_search(back, what="search again")
            assert len(back.open_dialogs()) == 1
