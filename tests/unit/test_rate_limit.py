from __future__ import annotations

import pytest

from flet_chat.core.errors import RateLimitedError
from flet_chat.core.limits import IP_MESSAGE_BUDGET, RATE_BURST, ROOMS_PER_IP_PER_DAY
from flet_chat.core.rate_limit import (
    DAY_SECONDS,
    Action,
    Budget,
    Charge,
    LocalRateLimiter,
    Origin,
    RateLimits,
    ip_bucket,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_memory_stays_bounded_and_a_refused_stranger_leaves_nothing() -> None:
    clock = Clock()
    limiter = LocalRateLimiter(clock=clock, max_keys=10)
    budget = Budget(2, 1.0)

    def take(*keys: str) -> bool:
        return limiter.take_now([Charge(key, budget) for key in keys])

    assert take("spammer")
    assert take("spammer")
    for i in range(5):
        assert take(f"user{i}")
    assert not take("spammer")  # a drained bucket is not forgotten while there is room
    # Refused with a drained bucket: the stranger's would-be bucket is never written.
    assert not take("stranger", "spammer")
    assert "stranger" not in limiter._buckets
    # A crowd of new keys: never more than max_keys buckets, whatever they hold.
    for i in range(5, 105):
        assert take(f"user{i}")
        assert len(limiter._buckets) <= 10
    clock.now = 100.0  # everyone has refilled: a sweep keeps none of them
    assert take("late")
    assert len(limiter._buckets) <= 10


def test_a_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    clock = Clock()
    limiter = LocalRateLimiter(clock=clock)
    charge = [Charge("k", Budget(3, 2.0))]
    assert [limiter.take_now(charge) for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one token back
    assert [limiter.take_now(charge) for _ in range(2)] == [True, False]
    clock.now += 100  # never more than the burst
    assert [limiter.take_now(charge) for _ in range(4)] == [True, True, True, False]


def test_all_buckets_or_none() -> None:
    clock = Clock()
    limiter = LocalRateLimiter(clock=clock)
    small, big = Charge("small", Budget(1, 0.001)), Charge("big", Budget(5, 0.001))
    assert limiter.take_now([small, big])
    for _ in range(3):
        assert not limiter.take_now([small, big])  # small is empty: big keeps its tokens
    assert [limiter.take_now([big]) for _ in range(5)] == [True] * 4 + [False]


async def test_new_names_from_one_ip_share_its_budget() -> None:
    clock = Clock()
    limits = RateLimits(LocalRateLimiter(clock=clock))
    refusals = []
    for i in range(100):  # ten names, ten connections, one address, all in one instant
        origin = Origin("203.0.113.7", f"tab-{i % 10}")
        try:
            await limits.spend(Action.MESSAGE, f"sybil{i % 10}", origin)
        except RateLimitedError as error:
            refusals.append(str(error))
    assert len(refusals) == 100 - IP_MESSAGE_BUDGET[0]
    assert set(refusals) == {"You are sending messages too fast. Wait a moment."}
    # Someone on another address is not affected.
    await limits.spend(Action.MESSAGE, "neighbour", Origin("198.51.100.1", "tab-x"))


async def test_a_new_name_on_one_connection_gets_no_new_budget() -> None:
    limits = RateLimits(LocalRateLimiter(clock=Clock()))
    for i in range(RATE_BURST):
        await limits.spend(Action.MESSAGE, f"name{i}", Origin(None, "tab"))
    with pytest.raises(RateLimitedError):
        await limits.spend(Action.MESSAGE, "yet-another-name", Origin(None, "tab"))


async def test_an_ip_creates_a_day_of_rooms_then_waits() -> None:
    clock = Clock()
    limits = RateLimits(LocalRateLimiter(clock=clock))
    refusals = []
    for i in range(ROOMS_PER_IP_PER_DAY + 5):
        clock.now += 60  # one a minute: within every short-term budget
        try:
            await limits.spend(Action.ROOM, f"maker{i}", Origin("203.0.113.9", f"tab-{i}"))
        except RateLimitedError as error:
            refusals.append(str(error))
    assert len(refusals) == 5
    assert all("creating rooms too fast" in r for r in refusals)
    clock.now += DAY_SECONDS
    await limits.spend(Action.ROOM, "tomorrow", Origin("203.0.113.9", "tab-next"))


async def test_exempt_networks_skip_only_the_ip_budget() -> None:
    limits = RateLimits(LocalRateLimiter(clock=Clock()), exempt_networks=["127.0.0.0/8"])
    for i in range(IP_MESSAGE_BUDGET[0] * 2):
        await limits.spend(Action.MESSAGE, f"load{i}", Origin("127.0.0.1", f"tab-{i}"))
    assert limits.charges(Action.MESSAGE, "x", Origin("127.0.0.1", "c")) == [
        Charge("message:user:x", Budget.of((RATE_BURST, 2.0))),
        Charge("message:conn:c", Budget.of((RATE_BURST, 2.0))),
    ]


def test_an_ipv6_subscriber_cannot_rotate_addresses_within_its_64() -> None:
    assert ip_bucket("2001:db8:1:2::1") == ip_bucket("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert ip_bucket("2001:db8:1:3::1") != ip_bucket("2001:db8:1:2::1")
    assert ip_bucket("::ffff:203.0.113.7") == ip_bucket("203.0.113.7") == "203.0.113.7"
    assert ip_bucket("testclient") == "testclient"


def test_a_crowd_of_new_keys_buys_nobody_a_fresh_day() -> None:
    """New keys are cheap (a connection each): evicting to make room for them must never drop
    a bucket that takes a day to refill, or a flood would reset an address's daily cap."""
    clock = Clock()
    limiter = LocalRateLimiter(clock=clock, max_keys=8)
    day = Budget(2, 2 / DAY_SECONDS)
    short = Budget(5, 1.0)
    assert limiter.take_now([Charge("ip-day", day)])
    assert limiter.take_now([Charge("ip-day", day)])
    for i in range(40):  # live short-term buckets, far more than max_keys
        assert limiter.take_now([Charge(f"conn{i}", short)])
        assert len(limiter._buckets) <= 8
    assert not limiter.take_now([Charge("ip-day", day)])  # still spent
