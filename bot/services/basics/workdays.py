"""Working days and working hours in Lower Saxony (Niedersachsen).

A working day is Monday to Friday and not a public holiday of Lower Saxony, as listed by
the ``holidays`` library (country "DE", subdivision "NI"). Christmas Eve and New Year's Eve
are *not* public holidays and therefore count as working days.

Pure and framework-free: no Telegram, no database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = [
    "add_working_days",
    "holidays_in_year",
    "is_working_day",
    "is_working_hours",
    "next_working_moment",
    "working_days_between",
]

_COUNTRY = "DE"
_SUBDIV = "NI"
DEFAULT_START = time(8)
DEFAULT_END = time(18)


@lru_cache(maxsize=128)
def holidays_in_year(year: int) -> frozenset[date]:
    """Public holidays of Lower Saxony in ``year``; cached because building them is slow."""
    import holidays  # here, not at start: its country tables weigh ~4 MiB

    return frozenset(holidays.country_holidays(_COUNTRY, subdiv=_SUBDIV, years=year).keys())


def _as_date(day: date) -> date:
    # datetime is a subclass of date but never equals a date, so set lookups would miss.
    return day.date() if isinstance(day, datetime) else day


def is_working_day(day: date) -> bool:
    """True for Monday–Friday unless the day is a public holiday in Lower Saxony."""
    day = _as_date(day)
    return day.weekday() < 5 and day not in holidays_in_year(day.year)


def add_working_days(day: date, n: int) -> date:
    """The date ``n`` working days after ``day`` (before it for negative ``n``).

    ``day`` itself is never counted, so ``add_working_days(friday, 1)`` is the next
    Monday (if that is no holiday). ``n == 0`` returns ``day`` unchanged, even when it is
    not a working day.
    """
    day = _as_date(day)
    step = timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def _weekdays_up_to(day: date) -> int:
    # Mon–Fri count from date.min (ordinal 1, a Monday) up to and including ``day``.
    full_weeks, rest = divmod(day.toordinal(), 7)
    return full_weeks * 5 + min(rest, 5)


def working_days_between(start: date, end: date) -> int:
    """Working days ``d`` with ``start < d <= end``; 0 if ``end <= start``.

    The start day is excluded and the end day included, like counting "days until a
    deadline": Friday -> next Monday is 1 working day. This is the inverse of
    :func:`add_working_days`: ``working_days_between(d, add_working_days(d, n)) == n``
    for every ``n >= 0``.
    """
    start, end = _as_date(start), _as_date(end)
    if end <= start:
        return 0
    count = _weekdays_up_to(end) - _weekdays_up_to(start)
    for year in range(start.year, end.year + 1):
        count -= sum(1 for h in holidays_in_year(year) if start < h <= end and h.weekday() < 5)
    return count


def _naive(clock: time) -> time:
    # Wall-clock times are compared without tzinfo; the zone is given by ``tz``.
    return clock.replace(tzinfo=None)


def _check_hours(start: time, end: time) -> None:
    if _naive(start) >= _naive(end):
        raise ValueError(f"working hours must start before they end: {start} >= {end}")


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(tz)


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    # The round trip through UTC moves a wall time that does not exist (DST gap) forward.
    naive = datetime.combine(day, _naive(clock))
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def is_working_hours(
    moment: datetime,
    *,
    tz: ZoneInfo,
    start: time = DEFAULT_START,
    end: time = DEFAULT_END,
) -> bool:
    """True if ``moment`` (aware) falls on a working day within ``[start, end)`` local time.

    The end is exclusive: 18:00:00 is already after hours.
    """
    _check_hours(start, end)
    local = _local(moment, tz)
    clock = local.time()
    return is_working_day(local.date()) and _naive(start) <= clock < _naive(end)


def next_working_moment(
    moment: datetime,
    *,
    tz: ZoneInfo,
    start: time = DEFAULT_START,
    end: time = DEFAULT_END,
) -> datetime:
    """``moment`` if it lies within working hours, else the next start of working hours.

    Working hours are judged in ``tz``; the result carries the same tzinfo as ``moment``.
    Used to hold back notifications sent at night, on weekends or on holidays.
    """
    _check_hours(start, end)
    local = _local(moment, tz)
    day = local.date()
    if is_working_day(day) and local.time() < _naive(end):
        if local.time() >= _naive(start):
            return moment
    else:
        day = add_working_days(day, 1)
    return _at(day, start, tz).astimezone(moment.tzinfo)
