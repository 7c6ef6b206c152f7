"""Token buckets per user, per connection and per client IP, so nobody can flood the chat, not
even with a new name for every message.

`RateLimits.spend` is what the core calls before an action; a `RateLimiter` keeps the buckets:
`LocalRateLimiter` in this process, or `bus/redis_rate_limit.RedisRateLimiter` in Redis, so that
every worker and machine of a deployment shares them.
"""

from __future__ import annotations

import heapq
import ipaddress
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from flet_chat.core import limits
from flet_chat.core.errors import RateLimitedError
from flet_chat.core.rooms import user_key

DAY_SECONDS = 24 * 3600
HOUR_SECONDS = 3600


class Action(StrEnum):
    MESSAGE = "message"  # messages, commands, edits, deletes, reactions
    JOIN = "join"  # joining the chat under a name, refused attempts included
    ROOM = "room"  # creating a public room
    DIRECT = "direct"  # opening a direct conversation that does not exist yet
    WEBHOOK = "webhook"  # one request to the webhook
    SIGN_IN = "sign-in"  # a password tried for an account (the user scope is the account's)
    SIGN_UP = "sign-up"  # a new account
    PROFILE = "profile"  # a change to one's profile, password or access tokens
    SEARCH = "search"  # one search query (a full-text query costs more than a page of history)
    UPLOAD = "upload"  # a message with files (it costs a message too)
    REPORT = "report"  # reporting a message to the admins
    MODERATE = "moderate"  # a moderation action (invite, mute, kick, ban, roles, ...)


class Scope(StrEnum):
    USER = "user"
    CONNECTION = "conn"
    IP = "ip"


@dataclass(frozen=True, slots=True)
class Budget:
    """A bucket of `burst` tokens that refills at `per_second`."""

    burst: float
    per_second: float

    @classmethod
    def of(cls, pair: tuple[float, float]) -> Budget:
        return cls(float(pair[0]), float(pair[1]))

    @property
    def refill_seconds(self) -> float:
        """How long an empty bucket takes to fill up (a full one carries no information)."""
        return self.burst / self.per_second


@dataclass(frozen=True, slots=True)
class Rule:
    scope: Scope
    budget: Budget
    label: str = ""  # tells two buckets of one scope apart (a burst and a daily cap)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request comes from: the client's IP from the ASGI scope (a forwarded address
    only from the proxies in FORWARDED_ALLOW_IPS; a raw X-Forwarded-For is never read) and a key
    of its connection (a Flet session, a Socket.IO client, the webhook's token)."""

    ip: str | None = None
    connection: str | None = None


@dataclass(frozen=True, slots=True)
class Charge:
    key: str
    budget: Budget


class RateLimiter(Protocol):
    async def take(self, charges: Sequence[Charge]) -> bool:
        """One token from every bucket, or from none if any of them is empty."""
        ...


def _rules(*rules: tuple[Scope, tuple[float, float]] | Rule) -> tuple[Rule, ...]:
    return tuple(r if isinstance(r, Rule) else Rule(r[0], Budget.of(r[1])) for r in rules)


_USER_MESSAGES = (limits.RATE_BURST, limits.RATE_PER_SECOND)
DEFAULT_BUDGETS: Mapping[Action, tuple[Rule, ...]] = {
    Action.MESSAGE: _rules(
        (Scope.USER, _USER_MESSAGES),
        (Scope.CONNECTION, limits.CONNECTION_MESSAGE_BUDGET),
        (Scope.IP, limits.IP_MESSAGE_BUDGET),
    ),
    # Not per user: a user with many tabs rejoins in each; a name that is tried is not theirs.
    Action.JOIN: _rules(
        (Scope.CONNECTION, limits.CONNECTION_JOIN_BUDGET), (Scope.IP, limits.IP_JOIN_BUDGET)
    ),
    Action.ROOM: _rules(
        (Scope.USER, limits.ROOM_BUDGET),
        (Scope.CONNECTION, limits.ROOM_BUDGET),
        (Scope.IP, limits.IP_ROOM_BUDGET),
        # The per-user daily cap is counted in the database (RoomService); IPs are not stored.
        Rule(
            Scope.IP,
            Budget(limits.ROOMS_PER_IP_PER_DAY, limits.ROOMS_PER_IP_PER_DAY / DAY_SECONDS),
            "day",
        ),
    ),
    Action.DIRECT: _rules(
        (Scope.USER, limits.DIRECT_BUDGET),
        (Scope.CONNECTION, limits.DIRECT_BUDGET),
        (Scope.IP, limits.IP_DIRECT_BUDGET),
    ),
    Action.WEBHOOK: _rules(
        (Scope.CONNECTION, limits.WEBHOOK_BUDGET), (Scope.IP, limits.IP_WEBHOOK_BUDGET)
    ),
    Action.SIGN_IN: _rules(
        (Scope.USER, limits.ACCOUNT_SIGN_IN_BUDGET),
        (Scope.CONNECTION, limits.CONNECTION_SIGN_IN_BUDGET),
        (Scope.IP, limits.IP_SIGN_IN_BUDGET),
    ),
    Action.SIGN_UP: _rules(
        (Scope.CONNECTION, limits.CONNECTION_JOIN_BUDGET), (Scope.IP, limits.IP_SIGN_UP_BUDGET)
    ),
    Action.PROFILE: _rules(
        (Scope.USER, limits.PROFILE_BUDGET), (Scope.CONNECTION, limits.PROFILE_BUDGET)
    ),
    Action.SEARCH: _rules(
        (Scope.USER, limits.SEARCH_BUDGET),
        (Scope.CONNECTION, limits.SEARCH_BUDGET),
        (Scope.IP, limits.IP_SEARCH_BUDGET),
    ),
    Action.UPLOAD: _rules(
        (Scope.USER, limits.UPLOAD_BUDGET),
        (Scope.CONNECTION, limits.UPLOAD_BUDGET),
        (Scope.IP, limits.IP_UPLOAD_BUDGET),
    ),
    Action.REPORT: _rules(
        (Scope.USER, limits.REPORT_BUDGET), (Scope.CONNECTION, limits.REPORT_BUDGET)
    ),
    Action.MODERATE: _rules(
        (Scope.USER, limits.MODERATION_BUDGET), (Scope.CONNECTION, limits.MODERATION_BUDGET)
    ),
}

REFUSALS: Mapping[Action, str] = {
    Action.MESSAGE: "You are sending messages too fast. Wait a moment.",
    Action.JOIN: "Too many joins from your connection or network. Wait a minute and try again.",
    Action.ROOM: "You are creating rooms too fast. Wait a while, or join an existing room.",
    Action.DIRECT: "You are opening conversations too fast. Wait a moment.",
    Action.WEBHOOK: "The webhook is receiving too many messages. Wait a moment.",
    # Says nothing about whether the account exists: its bucket is spent either way.
    Action.SIGN_IN: "Too many sign-in attempts. Wait a few minutes and try again.",
    Action.SIGN_UP: "Too many new accounts from your network. Wait a while and try again.",
    Action.PROFILE: "You are changing your profile too fast. Wait a moment.",
    Action.SEARCH: "You are searching too fast. Wait a moment.",
    Action.UPLOAD: "You are sending files too fast. Wait a moment.",
    Action.REPORT: "You are reporting too fast. Wait a minute.",
    Action.MODERATE: "You are moderating too fast. Wait a moment.",
}


def ip_bucket(ip: str) -> str:
    """The part of an address one subscriber controls: an IPv6 host picks any address of its
    /64 at will, so the whole /64 shares one bucket."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip  # not an address (a test client's name): still one bucket
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:1.2.3.4 is 1.2.3.4
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class RateLimits:
    """The budgets of every action, spent in one all-or-nothing step per action."""

    def __init__(
        self,
        limiter: RateLimiter,
        budgets: Mapping[Action, tuple[Rule, ...]] = DEFAULT_BUDGETS,
        *,
        exempt_networks: Iterable[str] = (),
    ) -> None:
        self.limiter = limiter
        self._budgets = budgets
        # A load test's host or a gateway that cannot pass addresses on: no per-IP buckets.
        self._exempt = tuple(ipaddress.ip_network(n, strict=False) for n in exempt_networks)

    async def spend(
        self, action: Action, user_name: str | None = None, origin: Origin | None = None
    ) -> None:
        """Raise RateLimitedError (a sentence for the user) if any of the buckets is empty."""
        charges = self.charges(action, user_name, origin)
        if charges and not await self.limiter.take(charges):
            raise RateLimitedError(REFUSALS[action])

    def charges(self, action: Action, user_name: str | None, origin: Origin | None) -> list[Charge]:
        who = {
            Scope.USER: user_key(user_name) if user_name else None,
            Scope.CONNECTION: origin.connection if origin else None,
            Scope.IP: self._ip(origin.ip) if origin and origin.ip else None,
        }
        return [
            Charge(f"{action}{rule.label}:{rule.scope}:{who[rule.scope]}", rule.budget)
            for rule in self._budgets.get(action, ())
            if who[rule.scope] is not None
        ]

    def _ip(self, ip: str) -> str | None:
        if self._exempt:
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                return ip_bucket(ip)
            if any(address in network for network in self._exempt):
                return None
        return ip_bucket(ip)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    budget: Budget


class LocalRateLimiter:
    """Buckets in this process: right for one process; with REDIS_URL the Redis limiter shares
    them between processes and falls back to this one while Redis is away."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    async def take(self, charges: Sequence[Charge]) -> bool:
        return self.take_now(charges)

    def take_now(self, charges: Sequence[Charge]) -> bool:
        now = self._clock()
        if any(charge.key not in self._buckets for charge in charges):
            self._make_room(now)  # before the states are read: a sweep must not drop one
        states = [self._refilled(charge, now) for charge in charges]
        if any(tokens < 1.0 for _, tokens in states):
            return False  # nothing is written: a refused stranger leaves no bucket behind
        for charge, (bucket, tokens) in zip(charges, states, strict=True):
            if bucket is None:
                bucket = self._buckets[charge.key] = _Bucket(tokens, now, charge.budget)
            bucket.tokens, bucket.updated, bucket.budget = tokens - 1.0, now, charge.budget
        return True

    def _refilled(self, charge: Charge, now: float) -> tuple[_Bucket | None, float]:
        """The key's bucket (None for a new key, which starts full) and its tokens now."""
        budget = charge.budget
        bucket = self._buckets.get(charge.key)
        if bucket is None:
            return None, budget.burst
        elapsed = max(0.0, now - bucket.updated)
        return bucket, min(budget.burst, bucket.tokens + elapsed * budget.per_second)

    def _make_room(self, now: float) -> None:
        """Keep about `max_keys` buckets. A bucket that has refilled completely carries no
        information: those go first. If that frees too little (a crowd of live ones), the least
        recently used short-term buckets go too, down to three quarters, so a sweep happens once
        per many new keys, not on each. Long-term buckets (a day's cap) are never dropped early:
        new keys are cheap, and must not buy anyone a fresh day."""
        if len(self._buckets) < self._max_keys:
            return
        live = {k: b for k, b in self._buckets.items() if now - b.updated < b.budget.refill_seconds}
        keep = self._max_keys * 3 // 4
        if len(live) > keep:
            lasting = {k: b for k, b in live.items() if b.budget.refill_seconds > HOUR_SECONDS}
            recent = heapq.nlargest(
                max(0, keep - len(lasting)),
                ((b.updated, k) for k, b in live.items() if k not in lasting),
            )
            live = {**lasting, **{k: live[k] for _, k in recent}}
        self._buckets = live
