"""Who is online and who is typing, as each person in the room sees it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from flet_chat.core.limits import MAX_MEMBERS_SHOWN
from flet_chat.testing.flet_client import FletClient
from tests.integration.conftest import Connect, has_row
from tests.integration.test_ghosts import poll
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration

# The promise to users: the member list follows a join, leave or disconnect within 5 s.
PRESENCE_DEADLINE = 5.0


async def test_the_member_list_follows_joins_and_closed_tabs(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as bob:
        async with connect(server) as alice:
            await alice.join("Alice")
            # Bob has not joined yet, but already sees who is in the room.
            await bob.wait_for(lambda: bob.members() == ["Alice"], timeout=PRESENCE_DEADLINE)
            await bob.join("bob")
            for client in (alice, bob):
                await client.wait_for(
                    lambda c=client: c.members() == ["Alice", "bob"], timeout=PRESENCE_DEADLINE
                )
            assert bob.texts(bob.find("member_list"))[:2] == ["A", "Alice"]  # avatar, name
        # Alice closed her tab. The leave notice waits for the grace period (a reload is not a
        # leave), but the member list does not.
        await bob.wait_for(
            lambda: bob.members() == ["bob"], timeout=PRESENCE_DEADLINE, what="Alice gone"
        )
        assert not has_row(bob, "Alice has left the chat.")


async def test_several_tabs_of_one_user_count_once(server: ServerProcess, connect: Connect) -> None:
    browser: dict[str, object] = {}  # one browser profile: the tabs share client storage
    async with connect(server) as observer, connect(server, storage=browser) as tab1:
        await tab1.join("Alice")
        async with connect(server, storage=browser) as tab2:
            await tab2.wait_for(lambda: not tab2.dialog_open() and tab2.members() == ["Alice"])
            await observer.wait_for(lambda: observer.members() == ["Alice"])
            title = next(t for t in observer.texts(observer.get("member_panel")) if "Online" in t)
            assert title == "Online (1)"
        # One tab closed, the other still open: still online.
        await tab1.wait_for(lambda: tab1.members() == ["Alice"])
        assert observer.members() == ["Alice"]
    async with connect(server) as later:
        await later.wait_for(lambda: later.find("member_list") is not None)
        await later.wait_for(lambda: later.members() == [], timeout=PRESENCE_DEADLINE)


async def test_typing_shows_to_others_and_hides_when_the_message_arrives(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice, connect(server) as bob, connect(server) as carol:
        for client, name in ((alice, "Alice"), (bob, "Bob"), (carol, "Carol")):
            await client.join(name)
        await alice.type("message_input", "Hel", change=True)
        await bob.wait_for(lambda: bob.value("typing_indicator") == "Alice is typing...")
        await alice.type("message_input", "Hello", change=True)
        await carol.type("message_input", "Hi", change=True)
        await bob.wait_for(lambda: bob.value("typing_indicator") == "Alice and Carol are typing...")
        # Never yourself (Alice's own update comes apart from Bob's).
        await alice.wait_for(lambda: alice.value("typing_indicator") == "Carol is typing...")
        await alice.submit("message_input")
        await bob.wait_for(lambda: has_row(bob, "| Hello"))
        await bob.wait_for(lambda: bob.value("typing_indicator") == "Carol is typing...")


async def test_typing_disappears_five_seconds_after_the_last_keystroke(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as alice, connect(server) as bob:
        await alice.join("Alice")
        await bob.join("Bob")
        # Timed from before the keystroke, which the server's five seconds follow: a slow
        # delivery of "typing" to Bob cannot make them look shorter.
        typed = time.monotonic()
        await alice.type("message_input", "thinking", change=True)
        await bob.wait_for(lambda: bob.value("typing_indicator") == "Alice is typing...")
        await bob.wait_for(lambda: bob.value("typing_indicator") == "", timeout=10)
        assert 4.9 <= time.monotonic() - typed <= 8.0
        assert alice.get("message_input").get("value") == "thinking"  # nothing was sent


async def test_a_narrow_screen_shows_the_member_list_behind_a_toggle(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as wide, connect(server, width=400.0) as phone:
        await wide.join("Wide")
        await phone.join("Phone")
        assert wide.get("members_toggle").get("visible") is False
        assert wide.get("member_panel").get("visible", True)
        assert phone.get("member_panel").get("visible") is False
        await phone.click("members_toggle")
        await phone.wait_for(lambda: phone.get("member_panel").get("visible", True))
        await phone.wait_for(lambda: phone.members() == ["Phone", "Wide"])
        await phone.click("members_toggle")
        await phone.wait_for(lambda: phone.get("member_panel").get("visible") is False)


async def test_a_crowd_joining_costs_each_session_about_one_list_update_a_second(
    server: ServerProcess, connect: Connect
) -> None:
    crowd_size = 30
    async with connect(server) as observer:
        await observer.wait_for(lambda: observer.find("member_list") is not None)
        seen: list[list[str]] = [observer.members()]

        def note_change(_patch: object) -> None:
            members = observer.members()
            if members != seen[-1]:
                seen.append(members)

        observer.on_patch = note_change
        crowd = [await FletClient(server.ws_url).connect() for _ in range(crowd_size)]
        try:
            started = time.monotonic()
            for i, client in enumerate(crowd):
                await client.join(f"user{i:02}")
                await asyncio.sleep(0.1)  # people arriving over 3 s (pacing, not waiting)
            await observer.wait_for(lambda: len(observer.members()) == crowd_size, timeout=15)
            elapsed = time.monotonic() - started
        finally:
            await asyncio.gather(*(c.close() for c in crowd))
    # Re-read at most once a second: one change per second of joining (plus the first, at once),
    # not one per join.
    assert len(seen) - 1 <= elapsed + 2, (len(seen), elapsed)
    assert seen[-1] == [f"user{i:02}" for i in range(crowd_size)]


async def test_every_session_counts_a_crowd_past_the_cap_alike(
    server: ServerProcess, connect: Connect
) -> None:
    """Member lists change through patches encoded once for every session: each session, early
    or late, still shows the first names, the whole count and how many more there are."""
    crowd_size = MAX_MEMBERS_SHOWN + 6
    names = sorted(f"user{i:02}" for i in range(crowd_size))
    crowd = [await FletClient(server.ws_url).connect() for _ in range(crowd_size)]

    def shows(client: FletClient, online: list[str]) -> bool:
        hidden = len(online) - MAX_MEMBERS_SHOWN
        texts = client.texts(client.get("member_panel"))
        return (
            client.members() == online[:MAX_MEMBERS_SHOWN]
            and f"Online ({len(online)})" in texts
            and (f"and {hidden} more" in texts) == (hidden > 0)
        )

    try:
        for name, client in zip(names, crowd, strict=True):
            await client.join(name)
        for client in (crowd[0], crowd[1], crowd[-1]):
            await client.wait_for(lambda c=client: shows(c, names), timeout=15)
        # Names inside the cap leave: the rows past it move up, the count goes down.
        leaving, staying = crowd[:8], crowd[8:]
        await asyncio.gather(*(c.close() for c in leaving))
        for client in (staying[0], staying[-1]):
            await client.wait_for(lambda c=client: shows(c, names[8:]), timeout=15)
    finally:
        await asyncio.gather(*(c.close() for c in crowd))


async def test_a_reloaded_tab_is_back_in_the_list(server: ServerProcess, connect: Connect) -> None:
    async with connect(server) as alice:
        await alice.join("Alice")
        tab = await FletClient(server.ws_url).connect()
        await tab.join("Bob")
        await alice.wait_for(lambda: alice.members() == ["Alice", "Bob"])
        session_id = tab.session_id
        await tab.close()
        await alice.wait_for(lambda: alice.members() == ["Alice"], timeout=PRESENCE_DEADLINE)
        # Someone arrives while Bob's tab is away: his page misses it (nothing is drawn for a
        # closed socket) and is told when it is back.
        async with connect(server) as carol:
            await carol.join("Carol")
            await alice.wait_for(
                lambda: alice.members() == ["Alice", "Carol"], timeout=PRESENCE_DEADLINE
            )
            # The browser reloads: the same session resumes and is online again.
            async with connect(server, session_id) as reloaded:
                assert reloaded.session_id == session_id
                await alice.wait_for(
                    lambda: alice.members() == ["Alice", "Bob", "Carol"],
                    timeout=PRESENCE_DEADLINE,
                )
                await reloaded.wait_for(
                    lambda: reloaded.members() == ["Alice", "Bob", "Carol"],
                    timeout=PRESENCE_DEADLINE,
                )
        assert not has_row(alice, "Bob has left the chat.")


async def test_a_tab_back_after_a_drop_sees_who_came_meanwhile(
    server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    """Bob stays online through his other tab, so his return changes nobody's presence: the
    tab that was away still shows the list as it is now, not as it was when it dropped."""
    server = server_factory(env={"FLET_CHAT_LOG_LEVEL": "DEBUG"})  # Flet logs the drop then
    browser: dict[str, object] = {}  # one browser profile: the tabs share client storage
    async with connect(server) as alice, connect(server, storage=browser) as first_tab:
        await alice.join("Alice")
        await first_tab.join("Bob")
        async with connect(server, storage=browser) as away:
            await away.wait_for(lambda: away.members() == ["Alice", "Bob"])
            session_id = away.session_id
        # Carol comes only once the server has seen the tab go (Flet's key: _<id>_<hash>):
        # the change is one the away tab misses.
        gone = f"Session disconnected: _{session_id}_"
        await poll(lambda: gone in server.log_text(), what="the server to see the tab go")
        async with connect(server) as carol:
            await carol.join("Carol")
            await first_tab.wait_for(lambda: first_tab.members() == ["Alice", "Bob", "Carol"])
            async with connect(server, session_id, storage=browser) as back:
                assert back.session_id == session_id
                await back.wait_for(
                    lambda: back.members() == ["Alice", "Bob", "Carol"],
                    timeout=PRESENCE_DEADLINE,
                    what="the list as it is now",
                )
