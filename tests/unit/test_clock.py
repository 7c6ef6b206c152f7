"""Times in the viewer's clock: zones (with daylight saving time), 12/24 hours, day labels, and
the cookie a browser sends, which anyone can forge."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flet_chat.ui.clock import (
    FALLBACK,
    MAX_COOKIE_LENGTH,
    Clock,
    clock_from_cookie,
    day_label,
    full_timestamp,
    system_clock,
    time_text,
)
from flet_chat.web_clock import CLOCK_SCRIPT, add_clock_script

NEW_YORK_12 = clock_from_cookie("America/New_York|h12")
BERLIN_24 = clock_from_cookie("Europe/Berlin|h23")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_a_cookie_gives_the_zone_and_the_hour_cycle() -> None:
    assert Clock("America/New_York", hour12=True) == NEW_YORK_12
    assert Clock("Europe/Berlin", hour12=False) == BERLIN_24
    assert clock_from_cookie("America/Argentina/Buenos_Aires|h23").zone == (
        "America/Argentina/Buenos_Aires"
    )
    assert clock_from_cookie("Etc/GMT+5|h23").zone == "Etc/GMT+5"


def test_times_read_in_the_viewers_zone_and_hour_cycle() -> None:
    moment = at(2026, 11, 28, 0, 33)  # 19:33 the evening before in New York (EST, UTC-5)
    assert time_text(moment, NEW_YORK_12) == "7:33 PM"
    assert time_text(moment, BERLIN_24) == "01:33"
    assert time_text(at(2026, 11, 28, 17, 5), NEW_YORK_12) == "12:05 PM"
    assert time_text(at(2026, 11, 28, 5, 5), NEW_YORK_12) == "12:05 AM"
    # Without a browser's word the server shows UTC, and says so.
    assert time_text(moment, FALLBACK) == "00:33 UTC"


def test_daylight_saving_time_moves_the_local_time_and_the_zone_name() -> None:
    summer, winter = at(2026, 7, 1, 12, 0), at(2026, 1, 1, 12, 0)
    assert time_text(summer, NEW_YORK_12) == "8:00 AM"  # EDT, UTC-4
    assert time_text(winter, NEW_YORK_12) == "7:00 AM"  # EST, UTC-5
    assert full_timestamp(summer, NEW_YORK_12) == "Wednesday 1 July 2026, 8:00:00 AM EDT"
    assert full_timestamp(winter, BERLIN_24) == "Thursday 1 January 2026, 13:00:00 CET"
    # The night the clocks go back, 1:30 AM happens twice in New York.
    assert time_text(at(2026, 11, 1, 5, 30), NEW_YORK_12) == "1:30 AM"
    assert time_text(at(2026, 11, 1, 6, 30), NEW_YORK_12) == "1:30 AM"
    assert full_timestamp(at(2026, 11, 1, 5, 30), NEW_YORK_12).endswith("EDT")
    assert full_timestamp(at(2026, 11, 1, 6, 30), NEW_YORK_12).endswith("EST")


def test_a_zone_without_an_abbreviation_shows_its_offset() -> None:
    dubai = clock_from_cookie("Asia/Dubai|h23")  # the database writes "+04"
    assert full_timestamp(at(2026, 3, 2, 8, 0, 9), dubai) == "Monday 2 March 2026, 12:00:09 UTC+04"
    kolkata = clock_from_cookie("Asia/Kolkata|h12")
    assert full_timestamp(at(2026, 3, 2, 8, 0), kolkata).endswith("1:30:00 PM IST")
    chatham = clock_from_cookie("Pacific/Chatham|h23")  # +1345 in summer
    assert full_timestamp(at(2026, 1, 2, 0, 0), chatham).endswith("UTC+13:45")
    assert full_timestamp(at(2026, 1, 2, 0, 0), FALLBACK).endswith("00:00:00 UTC")


def test_day_labels() -> None:
    today = date(2026, 11, 28)
    assert day_label(today, today) == "Today"
    assert day_label(date(2026, 11, 27), today) == "Yesterday"
    assert day_label(date(2026, 11, 23), today) == "Mon 23 Nov"
    assert day_label(date(2025, 11, 23), today) == "Sun 23 Nov 2025"
    assert day_label(date(2025, 12, 31), date(2026, 1, 1)) == "Yesterday"
    assert day_label(date(2026, 11, 29), today) == "Sun 29 Nov"  # a clock ahead: just the date


def test_today_and_midnight_are_the_viewers() -> None:
    # 03:30 UTC on the 28th is still the 27th in New York: its midnight is at 05:00 UTC.
    now = at(2026, 11, 28, 3, 30)
    assert NEW_YORK_12.today(now) == date(2026, 11, 27)
    assert BERLIN_24.today(now) == date(2026, 11, 28)
    assert NEW_YORK_12.next_midnight(now) == at(2026, 11, 28, 5, 0)
    # The day the clocks go back is 25 hours long.
    assert NEW_YORK_12.next_midnight(at(2026, 11, 1, 4, 30)) == at(2026, 11, 2, 5, 0)


@pytest.mark.parametrize(
    "forged",
    [
        None,
        "",
        "America/New_York",  # no cycle
        "America/New_York|h24",
        "America/New_York|H12",
        "Mars/Olympus_Mons|h12",  # not a zone
        "../../../../etc/passwd|h12",
        "/etc/localtime|h12",
        "localtime|h23",
        "America/New_York/../../etc|h12",
        "America/New_York|h12|extra",
        "America/New_York\x00|h12",
        "Ámerica/New_York|h12",
        "America/New_York |h12",
        '"America/New_York|h12"',
        "x" * (MAX_COOKIE_LENGTH + 1),
        "America/New_York|" + "h12" * 10_000,
        "A/" * 40 + "|h12",
    ],
)
def test_a_forged_or_broken_cookie_gives_utc_said_so(forged: str | None) -> None:
    assert clock_from_cookie(forged) == FALLBACK


@given(st.text(max_size=200))
def test_any_cookie_gives_a_clock_that_formats(value: str) -> None:
    clock = clock_from_cookie(value)
    assert clock == FALLBACK or value.partition("|")[2] in ("h12", "h23")
    assert time_text(at(2026, 6, 1, 12, 0), clock)
    assert full_timestamp(at(2026, 6, 1, 12, 0), clock)


def test_the_machines_own_zone_agrees_with_the_c_library() -> None:
    clock = system_clock()
    now = datetime.now(UTC)
    assert clock.local(now).utcoffset() == now.astimezone().utcoffset()
    assert not clock.zone_shown


def test_the_index_gets_the_clock_script_once_in_its_head() -> None:
    html = "<html><head><title>x</title></head><body><script src='a.js'></script></body></html>"
    patched = add_clock_script(html)
    assert patched.index(CLOCK_SCRIPT) < patched.index("</head>")
    assert add_clock_script(patched) == patched
    assert add_clock_script("<html>no head</html>") == "<html>no head</html>"
