"""Who is typing in one room: each name until a few seconds after their last typing event, or
until their message arrives."""

from __future__ import annotations

from flet_chat.core.limits import TYPING_SHOWN_SECONDS
from flet_chat.core.validation import sorted_names


class TypingTracker:
    """Who is typing as one session sees it: each name until `shown` seconds after their last
    typing event, or until their message arrives."""

    def __init__(self, *, shown: float = TYPING_SHOWN_SECONDS) -> None:
        self._shown = shown
        self._until: dict[str, float] = {}

    def typed(self, user_name: str, now: float) -> None:
        self._until[user_name] = now + self._shown

    def stopped(self, user_name: str) -> bool:
        """Returns whether `user_name` was shown."""
        return self._until.pop(user_name, None) is not None

    def expire(self, now: float) -> None:
        self._until = {name: until for name, until in self._until.items() if until > now}

    def next_expiry(self) -> float | None:
        return min(self._until.values(), default=None)

    def names(self, *, me: str | None) -> list[str]:
        return sorted_names([name for name in self._until if name != me])
