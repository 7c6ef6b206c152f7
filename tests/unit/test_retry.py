"""The one backoff every retry loop uses (sends, history, entering rooms)."""

from __future__ import annotations

import itertools

import pytest

from flet_chat.core.errors import ChatError
from flet_chat.retry import RETRY_DELAYS, delays, with_backoff


class Flaky:
    """Fails `failures` times, then answers with the attempt number."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionError("store away")
        self.attempts: list[int] = []

    async def __call__(self, attempt: int) -> int:
        self.attempts.append(attempt)
        if len(self.attempts) <= self.failures:
            raise self.error
        return attempt


class Clock:
    def __init__(self) -> None:
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


async def test_it_backs_off_then_returns_what_the_attempt_returned() -> None:
    flaky, clock = Flaky(failures=2), Clock()
    seen: list[tuple[int, float | None]] = []
    result = await with_backoff(
        flaky, sleep=clock.sleep, on_failure=lambda n, _e, wait: seen.append((n, wait))
    )
    assert result == 2
    assert flaky.attempts == [0, 1, 2]
    assert clock.slept == [0.5, 1.0]
    assert seen == [(0, 0.5), (1, 1.0)]


async def test_it_gives_up_with_the_last_error_after_about_15_seconds() -> None:
    flaky, clock = Flaky(failures=100), Clock()
    seen: list[float | None] = []
    with pytest.raises(ConnectionError):
        await with_backoff(flaky, sleep=clock.sleep, on_failure=lambda _n, _e, w: seen.append(w))
    assert clock.slept == list(RETRY_DELAYS)
    assert sum(clock.slept) == 15.5
    assert len(flaky.attempts) == len(RETRY_DELAYS) + 1
    assert seen[-1] is None  # the last failure is told it was the last


async def test_a_refusal_is_not_retried() -> None:
    flaky, clock = Flaky(failures=1, error=ChatError("no")), Clock()
    with pytest.raises(ChatError):
        await with_backoff(flaky, sleep=clock.sleep, fatal=(ChatError,))
    assert flaky.attempts == [0]
    assert clock.slept == []


async def test_with_a_steady_pace_it_keeps_trying() -> None:
    flaky, clock = Flaky(failures=8), Clock()
    assert await with_backoff(flaky, sleep=clock.sleep, then=5.0) == 8
    assert clock.slept == [*RETRY_DELAYS, 5.0, 5.0, 5.0]


def test_the_delays_run_out_unless_a_pace_is_given() -> None:
    assert list(delays()) == list(RETRY_DELAYS)
    assert list(itertools.islice(delays((1.0,), then=2.0), 4)) == [1.0, 2.0, 2.0, 2.0]
