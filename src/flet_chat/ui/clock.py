"""A viewer's clock (time zone and 12- or 24-hour cycle) and the one place times are written.

The server cannot see the viewer's zone: a browser sends it in the `flet_chat_clock` cookie,
which a script in the served index.html sets before the app connects (web_clock.py), as
"<IANA zone>|<h12 or h23>". Everything in the cookie is the client's to forge, so it is read
strictly: a bounded length, a zone name zoneinfo knows, one of two hour cycles; anything else
gives the fallback clock, UTC, which says so ("07:33 UTC"). A desktop window shows the
machine's own zone.

Pure Python (no Flet): rows, separators and tests format with these functions only.
"""

from __future__ import annotations

import functools
import re
import time
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

CLOCK_COOKIE = "flet_chat_clock"
# The longest IANA name is 32 characters; the cookie holds a name, "|" and "h12".
MAX_COOKIE_LENGTH = 64
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LONG_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LONG_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
TODAY = "Today"
YESTERDAY = "Yesterday"


@dataclass(frozen=True, slots=True)
class Clock:
    """How one viewer reads times. Equal clocks share rows (ui/row_cache.py), so only the
    name, the cycle and whether the zone is written take part in equality."""

    zone: str  # an IANA name ("America/New_York"), or "localtime" for a desktop's own
    hour12: bool = False
    # The fallback: the server guessed UTC, so every time says which zone it is in.
    zone_shown: bool = False
    tz: tzinfo = field(default=UTC, compare=False, hash=False, repr=False)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def today(self, now: datetime | None = None) -> date:
        return (now or datetime.now(UTC)).astimezone(self.tz).date()

    def next_midnight(self, now: datetime | None = None) -> datetime:
        """When "Today" next becomes "Yesterday" here (UTC-aware)."""
        tomorrow = self.today(now) + timedelta(days=1)
        return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=self.tz).astimezone(UTC)


FALLBACK = Clock("UTC", hour12=False, zone_shown=True, tz=UTC)


def time_text(moment: datetime, clock: Clock) -> str:
    """The time a row shows: "7:33 PM", "19:33", or "19:33 UTC" when the zone is a guess. The
    one source of a row's time (its accessible label is built from it too)."""
    local = clock.local(moment)
    shown = _clock_time(local, clock, seconds=False)
    return f"{shown} UTC" if clock.zone_shown else shown


def full_timestamp(moment: datetime, clock: Clock) -> str:
    """Date, time to the second and zone, for the tooltip: "Saturday 28 November 2026,
    7:33:05 PM EST"."""
    local = clock.local(moment)
    when = (
        f"{_LONG_WEEKDAYS[local.weekday()]} {local.day} {_LONG_MONTHS[local.month - 1]} "
        f"{local.year}, {_clock_time(local, clock, seconds=True)}"
    )
    return f"{when} {zone_label(local)}"


def zone_label(local: datetime) -> str:
    """The zone's abbreviation ("EST", "CET"); where the database has none (it writes "+03")
    the offset from UTC ("UTC+03")."""
    name = local.tzname() or ""
    if not name or name[0] in "+-":
        minutes = int((local.utcoffset() or timedelta()).total_seconds()) // 60
        if minutes == 0:
            return "UTC"
        hours, rest = divmod(abs(minutes), 60)
        sign = "+" if minutes > 0 else "-"
        return f"UTC{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")
    return name


def day_label(day: date, today: date) -> str:
    """A day separator's text: "Today", "Yesterday", "Mon 23 Nov", "Mon 23 Nov 2025"."""
    if day == today:
        return TODAY
    if day == today - timedelta(days=1):
        return YESTERDAY
    label = f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
    return label if day.year == today.year else f"{label} {day.year}"


def long_day(day: date) -> str:
    """The whole date, for a separator's accessible name: "Monday 23 November 2026"."""
    return f"{_LONG_WEEKDAYS[day.weekday()]} {day.day} {_LONG_MONTHS[day.month - 1]} {day.year}"


def _clock_time(local: datetime, clock: Clock, *, seconds: bool) -> str:
    tail = f":{local.second:02d}" if seconds else ""
    if clock.hour12:
        hour = local.hour % 12 or 12
        return f"{hour}:{local.minute:02d}{tail} {'AM' if local.hour < 12 else 'PM'}"
    return f"{local.hour:02d}:{local.minute:02d}{tail}"


# -- where a clock comes from ----------------------------------------------------------------


def clock_from_cookie(value: str | None) -> Clock:
    """The clock a browser asked for, or FALLBACK for anything missing, too long or unknown."""
    if not value or len(value) > MAX_COOKIE_LENGTH:
        return FALLBACK
    return _parse_cookie(value)


@functools.lru_cache(maxsize=1024)  # a handful of distinct values in practice; bounded anyway
def _parse_cookie(value: str) -> Clock:
    zone_name, bar, cycle = value.partition("|")
    if not bar or cycle not in ("h12", "h23"):
        return FALLBACK
    tz = _zone(zone_name)
    if tz is None:
        return FALLBACK
    return Clock(zone_name, hour12=cycle == "h12", tz=tz)


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    """A zone by IANA name; None for anything else (paths, "..", names the database lacks)."""
    if not _ZONE_NAME.fullmatch(name) or name.lower() == "localtime":
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def system_clock() -> Clock:
    """The machine's own zone, for a desktop window (no browser to ask): its IANA name when
    /etc/localtime (or /etc/timezone) names one that agrees with the C library's offset now
    (so a TZ variable wins), otherwise the C library's local time itself."""
    name = _system_zone_name()
    tz = _zone(name) if name else None
    if tz is not None and datetime.now(tz).utcoffset() == _SystemLocal().utcoffset(None):
        return Clock(name or "", tz=tz)
    return Clock("localtime", tz=_SystemLocal())


def _system_zone_name() -> str | None:
    localtime = Path("/etc/localtime")
    try:
        target = str(localtime.resolve()) if localtime.is_symlink() else ""
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
        timezone_file = Path("/etc/timezone")
        if timezone_file.is_file():
            return timezone_file.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
    return None


class _SystemLocal(tzinfo):
    """The C library's local time (it follows TZ and daylight saving time on any system)."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(seconds=self._local(dt).tm_gmtoff)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=1) if self._local(dt).tm_isdst > 0 else timedelta()

    def tzname(self, dt: datetime | None) -> str:
        return self._local(dt).tm_zone

    def fromutc(self, dt: datetime) -> datetime:
        stamp = dt.replace(tzinfo=UTC).timestamp()
        return dt + timedelta(seconds=time.localtime(stamp).tm_gmtoff)

    @staticmethod
    def _local(dt: datetime | None) -> time.struct_time:
        if dt is None:
            return time.localtime()
        naive = dt.replace(tzinfo=None)
        return time.localtime(time.mktime((*naive.timetuple()[:8], -1)))
