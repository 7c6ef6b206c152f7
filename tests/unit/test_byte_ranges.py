"""What a `Range` header gets from a file of a given size (RFC 9110, section 14)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flet_chat.api.byte_ranges import ByteRange, UnsatisfiableRange, requested_range


@pytest.mark.parametrize(
    ("header", "total", "expected"),
    [
        ("bytes=0-3", 10, ByteRange(0, 3, 10)),
        ("bytes=4-", 10, ByteRange(4, 9, 10)),
        ("bytes=-3", 10, ByteRange(7, 9, 10)),
        ("bytes=-30", 10, ByteRange(0, 9, 10)),  # more than there is: the whole file
        ("bytes=8-99", 10, ByteRange(8, 9, 10)),  # an end past the end is cut
        (" bytes=2-2 ", 10, ByteRange(2, 2, 10)),
    ],
)
def test_one_range(header: str, total: int, expected: ByteRange) -> None:
    assert requested_range(header, total) == expected


@pytest.mark.parametrize(
    "header",
    [
        None,
        "bytes=0-1,4-5",  # several ranges: the whole file, never the bytes many times over
        "bytes=5-2",  # last before first
        "bytes=-",
        "items=0-1",
        "bytes=a-b",
        "bytes=0-1x",
        "bytes=" + "9" * 40 + "-",  # no huge numbers parsed
    ],
)
def test_what_is_not_one_range_gets_the_whole_file(header: str | None) -> None:
    assert requested_range(header, 10) is None


@pytest.mark.parametrize(
    ("header", "total"), [("bytes=10-", 10), ("bytes=-0", 10), ("bytes=0-", 0)]
)
def test_a_range_past_the_end_is_unsatisfiable(header: str, total: int) -> None:
    with pytest.raises(UnsatisfiableRange) as raised:
        requested_range(header, total)
    assert raised.value.content_range == f"bytes */{total}"


@given(st.binary(max_size=64), st.integers(0, 80), st.integers(0, 80))
def test_a_range_is_always_within_the_file(data: bytes, first: int, last: int) -> None:
    try:
        wanted = requested_range(f"bytes={first}-{last}", len(data))
    except UnsatisfiableRange:
        assert first >= len(data)
        return
    if wanted is None:
        assert last < first
        return
    assert wanted.of(data) == data[first : last + 1]
    assert wanted.content_range == f"bytes {first}-{min(last, len(data) - 1)}/{len(data)}"
