"""At most one event per key per interval: how typing stays cheap on the wire."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable


class Throttle:
    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._max_keys = max_keys
        self._last: dict[Hashable, float] = {}

    def allow(self, key: Hashable) -> bool:
        """True (and remember now) if `key` was last allowed at least `interval` ago."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            return False
        if last is None and len(self._last) >= self._max_keys:
            # A key allowed longer than `interval` ago carries no information: forgetting it
            # bounds memory without letting anyone through early.
            self._last = {k: t for k, t in self._last.items() if now - t < self._interval}
        self._last[key] = now
        return True
