from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.basics.workdays import (
    add_working_days,
    holidays_in_year,
    is_working_day,
    is_working_hours,
    next_working_moment,
    working_days_between,
)

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def brute_force_between(start: date, end: date) -> int:
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


# ------------------------------------------------------------------------ is_working_day


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 11), True),  # ordinary Wednesday
        (date(2026, 3, 14), False),  # Saturday
        (date(2026, 3, 15), False),  # Sunday
        (date(2026, 1, 1), False),  # New Year
        (date(2026, 4, 3), False),  # Good Friday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 4, 7), True),  # Tuesday after Easter
        (date(2026, 5, 1), False),  # Labour Day
        (date(2026, 5, 14), False),  # Ascension
        (date(2026, 5, 25), False),  # Whit Monday
        (date(2025, 10, 3), False),  # German Unity Day, a Friday
        (date(2025, 10, 31), False),  # Reformation Day, a Friday (2026: a Saturday)
        (date(2026, 10, 30), True),  # the Friday before Reformation Day 2026
        (date(2025, 12, 24), True),  # Christmas Eve is no public holiday
        (date(2025, 12, 25), False),
        (date(2025, 12, 26), False),
        (date(2025, 12, 31), True),  # New Year's Eve neither
        # Holidays of other states are working days in Lower Saxony:
        (date(2026, 1, 6), True),  # Epiphany (BW, BY, ST)
        (date(2026, 6, 4), True),  # Corpus Christi (BW, BY, HE, NW, RP, SL)
        (date(2027, 3, 8), True),  # International Women's Day (BE, MV), a Monday
        (date(2025, 11, 19), True),  # Repentance Day (SN)
    ],
)
def test_is_working_day(day: date, expected: bool) -> None:
    assert is_working_day(day) is expected


def test_is_working_day_accepts_datetime() -> None:
    assert is_working_day(berlin(2026, 4, 6, 12)) is False
    assert is_working_day(berlin(2026, 4, 7, 12)) is True


def test_holidays_are_cached_per_year() -> None:
    first = holidays_in_year(2026)
    assert holidays_in_year(2026) is first
    assert date(2026, 4, 6) in first
    assert date(2026, 10, 31) in first
    assert date(2026, 6, 4) not in first
    assert len(first) == 10


# ---------------------------------------------------------------------- add_working_days


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 3, 11), 1, date(2026, 3, 12)),
        (date(2026, 3, 13), 1, date(2026, 3, 16)),  # Friday -> Monday
        (date(2026, 3, 14), 1, date(2026, 3, 16)),  # Saturday -> Monday
        (date(2026, 3, 11), 5, date(2026, 3, 18)),
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # over Good Friday .. Easter Monday
        (date(2026, 4, 7), -1, date(2026, 4, 2)),  # and back
        (date(2025, 10, 30), 1, date(2025, 11, 3)),  # over Reformation Day 2025
        (date(2025, 12, 23), 2, date(2025, 12, 29)),  # 24th counts, 25th/26th do not
        (date(2025, 12, 31), 1, date(2026, 1, 2)),  # over New Year
        (date(2026, 3, 14), 0, date(2026, 3, 14)),  # zero leaves even a Saturday alone
        (date(2026, 3, 16), -1, date(2026, 3, 13)),
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n) == expected


# ------------------------------------------------------------------ working_days_between


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 3, 13), date(2026, 3, 16), 1),  # Friday -> Monday
        (date(2026, 3, 11), date(2026, 3, 11), 0),
        (date(2026, 3, 12), date(2026, 3, 11), 0),  # end before start
        (date(2026, 3, 11), date(2026, 3, 18), 5),
        (date(2026, 4, 2), date(2026, 4, 7), 1),  # Easter
        (date(2026, 4, 2), date(2026, 4, 6), 0),  # ends on Easter Monday
        (date(2025, 12, 19), date(2026, 1, 2), 7),  # Christmas and New Year
        (date(2025, 10, 30), date(2025, 10, 31), 0),  # Reformation Day
        (date(2025, 12, 31), date(2026, 12, 31), 254),  # 261 weekdays, 7 on holidays
    ],
)
def test_working_days_between(start: date, end: date, expected: int) -> None:
    assert working_days_between(start, end) == expected
    assert working_days_between(start, end) == brute_force_between(start, end)


_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


@given(start=_days, n=st.integers(min_value=0, max_value=300))
def test_between_inverts_add(start: date, n: int) -> None:
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    if n:
        assert is_working_day(end)


@given(start=_days, span=st.integers(min_value=-10, max_value=800))
def test_between_matches_brute_force(start: date, span: int) -> None:
    end = start + timedelta(days=span)
    assert working_days_between(start, end) == brute_force_between(start, end)


# ------------------------------------------------------------------------ working hours


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (berlin(2026, 3, 11, 8, 0), True),  # start is inclusive
        (berlin(2026, 3, 11, 7, 59, 59), False),
        (berlin(2026, 3, 11, 17, 59, 59), True),
        (berlin(2026, 3, 11, 18, 0), False),  # end is exclusive
        (berlin(2026, 3, 14, 10, 0), False),  # Saturday
        (berlin(2026, 4, 6, 10, 0), False),  # Easter Monday
        (datetime(2026, 3, 11, 7, 0, tzinfo=UTC), True),  # 08:00 CET
        (datetime(2026, 3, 11, 6, 59, tzinfo=UTC), False),
        (datetime(2026, 7, 1, 6, 0, tzinfo=UTC), True),  # 08:00 CEST
        (datetime(2026, 7, 1, 5, 59, tzinfo=UTC), False),
        (datetime(2026, 7, 1, 16, 0, tzinfo=UTC), False),  # 18:00 CEST
        (datetime(2026, 3, 13, 23, 30, tzinfo=UTC), False),  # already Saturday in Berlin
    ],
)
def test_is_working_hours(moment: datetime, expected: bool) -> None:
    assert is_working_hours(moment, tz=BERLIN) is expected


def test_is_working_hours_custom_hours() -> None:
    moment = berlin(2026, 3, 11, 7, 30)
    assert is_working_hours(moment, tz=BERLIN, start=time(7), end=time(16)) is True
    assert is_working_hours(berlin(2026, 3, 11, 16), tz=BERLIN, end=time(16)) is False


def test_working_hours_reject_naive_and_empty_hours() -> None:
    with pytest.raises(ValueError, match="aware"):
        is_working_hours(datetime(2026, 3, 11, 10), tz=BERLIN)
    with pytest.raises(ValueError, match="aware"):
        next_working_moment(datetime(2026, 3, 11, 10), tz=BERLIN)
    with pytest.raises(ValueError, match="start before"):
        is_working_hours(berlin(2026, 3, 11, 10), tz=BERLIN, start=time(18), end=time(8))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (berlin(2026, 3, 11, 10, 15), berlin(2026, 3, 11, 10, 15)),  # inside: unchanged
        (berlin(2026, 3, 11, 6, 0), berlin(2026, 3, 11, 8, 0)),  # early morning
        (berlin(2026, 3, 11, 18, 0), berlin(2026, 3, 12, 8, 0)),  # closing time
        (berlin(2026, 3, 13, 19, 0), berlin(2026, 3, 16, 8, 0)),  # Friday evening
        (berlin(2026, 3, 14, 11, 0), berlin(2026, 3, 16, 8, 0)),  # Saturday
        (berlin(2026, 4, 2, 18, 30), berlin(2026, 4, 7, 8, 0)),  # Easter
        (berlin(2026, 4, 6, 7, 0), berlin(2026, 4, 7, 8, 0)),  # Easter Monday morning
        (berlin(2025, 10, 30, 20, 0), berlin(2025, 11, 3, 8, 0)),  # Reformation Day
        (berlin(2025, 12, 24, 18, 0), berlin(2025, 12, 29, 8, 0)),  # Christmas
    ],
)
def test_next_working_moment(moment: datetime, expected: datetime) -> None:
    result = next_working_moment(moment, tz=BERLIN)
    assert result == expected
    assert result.tzinfo is BERLIN
    assert result.astimezone(BERLIN).time() == expected.time()


def test_next_working_moment_over_dst_switch() -> None:
    # Saturday in winter time -> Monday 08:00 in summer time.
    result = next_working_moment(berlin(2026, 3, 28, 12, 0), tz=BERLIN)
    assert result == berlin(2026, 3, 30, 8, 0)
    assert result.utcoffset() == timedelta(hours=2)


def test_next_working_moment_keeps_input_tzinfo() -> None:
    friday_night = datetime(2026, 3, 13, 20, 0, tzinfo=UTC)  # 21:00 in Berlin
    result = next_working_moment(friday_night, tz=BERLIN)
    assert result.tzinfo is UTC
    assert result == datetime(2026, 3, 16, 7, 0, tzinfo=UTC)  # Monday 08:00 CET
    inside = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    assert next_working_moment(inside, tz=BERLIN) is inside


def test_next_working_moment_custom_hours() -> None:
    result = next_working_moment(berlin(2026, 3, 11, 15, 0), tz=BERLIN, end=time(15))
    assert result == berlin(2026, 3, 12, 8, 0)
    result = next_working_moment(berlin(2026, 3, 11, 6, 0), tz=BERLIN, start=time(7, 30))
    assert result == berlin(2026, 3, 11, 7, 30)
