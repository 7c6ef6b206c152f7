"""One backoff for every retry loop: a send, the history of the room on screen, a user's rooms.

While the store is away each of these tries again after 0.5, 1, 2, 4 and 8 s (about 15 s in all),
then gives up, or, for what must appear by itself once the store is back, keeps trying at a
steady pace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from itertools import repeat
from typing import TypeVar

T = TypeVar("T")

# About 15 s of retries before giving up (a send is then reported failed, its text kept;
# history and rooms go on at a slower pace).
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)

# Called after each failed attempt: (attempt, error, the delay before the next one or None if
# this was the last).
OnFailure = Callable[[int, Exception, float | None], None]


def delays(steps: Sequence[float] = RETRY_DELAYS, *, then: float | None = None) -> Iterator[float]:
    """The waits between attempts: `steps`, then every `then` seconds for ever (if given)."""
    yield from steps
    if then is not None:
        yield from repeat(then)


async def with_backoff(
    attempt: Callable[[int], Awaitable[T]],
    *,
    steps: Sequence[float] = RETRY_DELAYS,
    then: float | None = None,
    fatal: tuple[type[Exception], ...] = (),
    on_failure: OnFailure | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run `attempt(n)` (n = 0, 1, ...) until it returns, waiting between failures. An error in
    `fatal` is raised at once (a refusal is not worth retrying); when the waits run out the last
    error is raised."""
    waits = delays(steps, then=then)
    number = 0
    while True:
        try:
            return await attempt(number)
        except fatal:
            raise
        except Exception as error:
            wait = next(waits, None)
            if on_failure is not None:
                on_failure(number, error, wait)
            if wait is None:
                raise
        await sleep(wait)  # back off before asking the store again
        number += 1
