"""The base of rows every session shares (ui/row_cache.py): message rows, separators, member
entries."""

from __future__ import annotations


class SharedRow:
    """Mixin for rows shared by every session (see ui/row_cache.py).

    Isolated: a list update does not walk into a row, which never changes. Identity equality:
    Flet's diff compares parents with `!=`, which for a dataclass compares every field; a row is
    only ever equal to itself.
    """

    def is_isolated(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__
