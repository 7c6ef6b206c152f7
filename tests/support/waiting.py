"""Waiting for a condition in tests: polling state that has no event to wait on, with a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def wait_until(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    """Return once `predicate()` is truthy; TimeoutError after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110  (what is polled has no event to wait on)
            await asyncio.sleep(0.01)  # polling the state under test, not synchronising
