"""WriteQueue: one writer at a time, messages ahead of the other waiting writes, nothing lost
to a cancelled waiter. (Pure asyncio, but storage's: the unit tier imports no storage module.)"""

from __future__ import annotations

import asyncio

import pytest

from flet_chat.storage.write_queue import WriteQueue


async def _hold(queue: WriteQueue, name: str, order: list[str], *, urgent: bool = False) -> None:
    async with queue.turn(urgent=urgent):
        order.append(name)
        await asyncio.sleep(0)  # hold the turn across a switch, as a transaction does


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_message_goes_ahead_of_the_writes_already_waiting() -> None:
    queue = WriteQueue()
    order: list[str] = []
    release = asyncio.Event()

    async def first() -> None:
        async with queue.turn():
            order.append("first")
            await release.wait()

    tasks = [asyncio.create_task(first())]
    await _settle()
    tasks += [asyncio.create_task(_hold(queue, f"join{i}", order)) for i in range(3)]
    await _settle()
    tasks.append(asyncio.create_task(_hold(queue, "message", order, urgent=True)))
    await _settle()
    assert queue.waiting() == 4
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["first", "message", "join0", "join1", "join2"]
    assert queue.waiting() == 0


async def test_only_one_writer_holds_the_queue_at_a_time() -> None:
    queue = WriteQueue(urgent_run=2)
    inside = 0
    most = 0

    async def write(urgent: bool) -> None:
        nonlocal inside, most
        async with queue.turn(urgent=urgent):
            inside += 1
            most = max(most, inside)
            for _ in range(3):
                await asyncio.sleep(0)
            inside -= 1

    await asyncio.gather(*(write(i % 3 == 0) for i in range(30)))
    assert most == 1
    assert queue.waiting() == 0


async def test_a_stream_of_messages_lets_a_waiting_write_through() -> None:
    queue = WriteQueue(urgent_run=2)
    order: list[str] = []
    release = asyncio.Event()

    async def first() -> None:
        async with queue.turn(urgent=True):
            order.append("m0")
            await release.wait()

    tasks = [asyncio.create_task(first())]
    await _settle()
    tasks.append(asyncio.create_task(_hold(queue, "join", order)))
    await _settle()
    tasks += [asyncio.create_task(_hold(queue, f"m{i}", order, urgent=True)) for i in (1, 2, 3)]
    await _settle()
    release.set()
    await asyncio.gather(*tasks)
    # Two messages in a row (m0 took the idle queue), then the waiting join's turn.
    assert order == ["m0", "m1", "join", "m2", "m3"]


@pytest.mark.parametrize(
    "when", ["while waiting", "as the turn is released", "once handed the turn"]
)
async def test_a_cancelled_waiter_leaves_the_queue_to_the_next(when: str) -> None:
    queue = WriteQueue()
    order: list[str] = []
    release = asyncio.Event()
    doomed: asyncio.Task[None] | None = None

    async def first() -> None:
        async with queue.turn():
            order.append("first")
            await release.wait()
            if when == "as the turn is released":  # its turn is cancelled, it has not run since
                assert doomed is not None
                doomed.cancel()
        # The turn was just handed to `doomed`, which has not run since: cancel it now.
        if when == "once handed the turn":
            assert doomed is not None
            doomed.cancel()

    holder = asyncio.create_task(first())
    await _settle()
    doomed = asyncio.create_task(_hold(queue, "doomed", order, urgent=True))
    await _settle()
    after = asyncio.create_task(_hold(queue, "after", order))
    await _settle()
    if when == "while waiting":
        doomed.cancel()
        await _settle()
    release.set()
    await holder
    with pytest.raises(asyncio.CancelledError):
        await doomed
    await asyncio.wait_for(after, timeout=5)
    assert order == ["first", "after"]
    assert queue.waiting() == 0
    async with asyncio.timeout(5), queue.turn():  # and the queue is free again
        pass
