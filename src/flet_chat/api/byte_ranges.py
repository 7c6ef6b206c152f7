"""Byte ranges of a file's answer (RFC 9110, section 14): a player seeking in a video, or a
download resumed, asks for `Range: bytes=start-end` and gets `206 Partial Content`.

Only a single range is served: a list of ranges (rarely sent, and a way to make the server
repeat a file's bytes many times over) gets the whole file, which the RFC allows. A header we do
not understand is ignored the same way. A range that starts past the end answers 416. The caller
checks who may read the file first: a range never skips that check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# `bytes=first-last`, `bytes=first-` or `bytes=-suffix_length`; digits only, one range.
_ONE_RANGE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})")


@dataclass(frozen=True)
class ByteRange:
    """`first` to `last` inclusive, within a file of `total` bytes."""

    first: int
    last: int
    total: int

    @property
    def content_range(self) -> str:
        return f"bytes {self.first}-{self.last}/{self.total}"

    def of(self, data: bytes) -> bytes:
        return data[self.first : self.last + 1]


class UnsatisfiableRange(ValueError):
    """The range asks for bytes the file does not have: answer 416."""

    def __init__(self, total: int) -> None:
        super().__init__(f"no such bytes in a file of {total}")
        self.content_range = f"bytes */{total}"


def requested_range(header: str | None, total: int) -> ByteRange | None:
    """The one range `header` asks for, or None for the whole file (no header, several ranges,
    or one we do not understand). Raises UnsatisfiableRange when it starts past the end."""
    if header is None:
        return None
    match = _ONE_RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text:  # the last N bytes
        if not last_text:
            return None  # "bytes=-": not a range
        suffix = int(last_text)
        if suffix == 0 or total == 0:
            raise UnsatisfiableRange(total)
        return ByteRange(max(0, total - suffix), total - 1, total)
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # invalid: ignored, as the RFC says
    if first >= total:
        raise UnsatisfiableRange(total)
    last = min(int(last_text), total - 1) if last_text else total - 1
    return ByteRange(first, last, total)
