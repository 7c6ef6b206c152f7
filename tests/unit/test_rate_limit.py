from __future__ import annotations

from flet_chat.core.rate_limit import RateLimiter


def test_memory_stays_bounded_without_letting_anyone_through() -> None:
    now = [0.0]
    limiter = RateLimiter(burst=2, per_second=1.0, clock=lambda: now[0], max_keys=10)
    assert limiter.try_acquire("spammer")
    assert limiter.try_acquire("spammer")
    for i in range(50):
        limiter.try_acquire(f"user{i}")
    assert not limiter.try_acquire("spammer")  # a drained bucket is never forgotten early
    assert len(limiter._buckets) <= 51
    now[0] = 100.0
    for i in range(50, 60):
        limiter.try_acquire(f"user{i}")
    assert len(limiter._buckets) <= 11
