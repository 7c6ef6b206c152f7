"""The base of rows every session shares (ui/row_cache.py): message rows, separators, member
entries."""

from __future__ import annotations

from typing import Any

from flet_chat.flet_compat import pack_control

_PACKED = "_flet_chat_packed"


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


def packed_once(control: Any) -> bytes:
    """A never-changing shared control encoded (MessagePack) once per process, for every
    session it is sent to."""
    packed: bytes | None = getattr(control, _PACKED, None)
    if packed is None:
        packed = pack_control(control)
        object.__setattr__(control, _PACKED, packed)  # not a prop: Flet neither sends nor diffs it
    return packed
