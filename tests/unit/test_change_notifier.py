"""ChangeNotifier tells every listener in slices; a listener gone meanwhile is not called."""

from __future__ import annotations

import asyncio

from flet_chat.live.notifier import SLICE, ChangeNotifier


async def test_every_listener_hears_a_change_once() -> None:
    notifier = ChangeNotifier()
    heard: list[int] = []
    listeners = [lambda i=i: heard.append(i) for i in range(2 * SLICE + 3)]
    for listener in listeners:
        notifier.subscribe(listener)
    await notifier.notify()
    assert heard == list(range(2 * SLICE + 3))


async def test_a_listener_unsubscribed_while_earlier_slices_run_is_not_called() -> None:
    """A session closed between two slices has a destroyed page: updating it would fail."""
    notifier = ChangeNotifier()
    heard: list[str] = []
    for i in range(SLICE):
        notifier.subscribe(lambda i=i: heard.append(f"early {i}"))

    def closed_session() -> None:
        heard.append("closed")

    notifier.subscribe(closed_session)
    notifying = asyncio.create_task(notifier.notify())
    await asyncio.sleep(0)  # the first slice runs, then the notifier yields
    notifier.unsubscribe(closed_session)
    await notifying
    assert "closed" not in heard
    assert len(heard) == SLICE
