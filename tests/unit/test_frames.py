"""FrameClock: a session with news renders once per frame however often it asks, an idle
process renders at once, a busy one waits for the rest of its frame, one failing render does
not keep the others from theirs."""

from __future__ import annotations

import asyncio

from flet_chat.ui.frames import FrameClock


class Renders:
    def __init__(self) -> None:
        self.done: list[str] = []
        self.event = asyncio.Event()

    def render(self, name: str) -> None:
        self.done.append(name)
        self.event.set()

    async def next_pass(self) -> None:
        await asyncio.wait_for(self.event.wait(), timeout=5)
        self.event.clear()


async def test_many_requests_make_one_render_per_session() -> None:
    clock, renders = FrameClock(frame_seconds=0.05), Renders()
    for _ in range(10):
        clock.request("a", lambda: renders.render("a"))
    clock.request("b", lambda: renders.render("b"))
    await renders.next_pass()
    assert sorted(renders.done) == ["a", "b"]


async def test_an_idle_process_renders_at_once_and_a_busy_one_waits_for_its_frame() -> None:
    loop = asyncio.get_running_loop()
    clock, renders = FrameClock(frame_seconds=0.2), Renders()
    asked = loop.time()
    clock.request("a", lambda: renders.render("a"))
    await renders.next_pass()
    first = loop.time()
    assert first - asked < 0.15  # no frame had passed yet: at once
    clock.request("a", lambda: renders.render("a"))
    await renders.next_pass()
    assert loop.time() - first >= 0.19  # a frame after the last pass


async def test_a_cancelled_session_is_not_rendered_and_a_failing_one_spoils_nothing() -> None:
    clock, renders = FrameClock(frame_seconds=0.01), Renders()

    def broken() -> None:
        raise RuntimeError("the tab closed")

    clock.request("gone", lambda: renders.render("gone"))
    clock.request("broken", broken)
    clock.request("b", lambda: renders.render("b"))
    clock.cancel("gone")
    await renders.next_pass()
    assert renders.done == ["b"]


async def test_work_after_a_pass_runs_after_the_sends_the_pass_queued() -> None:
    loop = asyncio.get_running_loop()
    clock, order = FrameClock(frame_seconds=0.01), []
    finished = asyncio.Event()

    def render(name: str) -> None:
        order.append(f"render {name}")
        # A frame queued for the session's socket: its send loop wakes up next.
        loop.call_soon(order.append, f"send {name}")
        clock.after_pass(lambda: order.append(f"after {name}"))

    def broken() -> None:
        clock.after_pass(lambda: 1 / 0)  # a failing piece of work spoils none of the others
        raise RuntimeError("the tab closed")

    clock.request("a", lambda: render("a"))
    clock.request("broken", broken)
    clock.request("b", lambda: render("b"))
    clock.request("last", lambda: clock.after_pass(finished.set))
    await asyncio.wait_for(finished.wait(), timeout=5)
    assert order == ["render a", "render b", "send a", "send b", "after a", "after b"]

    # Outside a pass, it runs once what was already scheduled has run, even while a pass's
    # work is still waiting for its turn.
    finished.clear()
    order.clear()

    def pass_with_work() -> None:
        clock.after_pass(lambda: order.append("the pass's work"))
        loop.call_soon(outside)  # runs before the pass's work: as a history load's render

    def outside() -> None:
        loop.call_soon(order.append, "its frame sent")
        clock.after_pass(lambda: order.append("its work"))
        clock.after_pass(finished.set)

    clock.request("a", pass_with_work)
    await asyncio.wait_for(finished.wait(), timeout=5)
    assert order == ["the pass's work", "its frame sent", "its work"]
