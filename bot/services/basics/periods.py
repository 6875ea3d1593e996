"""Report periods: "2026-H1", "2026-Q3", "2026-03", "2026", or German phrases.

A period is a half-open range of local calendar days ``[first, end)`` in Europe/Berlin;
`start_utc`/`end_utc` are the local midnights converted to UTC, so a query with
``created_at >= start_utc AND created_at < end_utc`` counts exactly the local days, across
daylight-saving switches. Typed date ranges ("1.1.2026 - 31.3.2026") include their last day.

Accepted German phrases: "dieser/letzter/vorheriger Monat", "dieses/letztes Quartal",
"dieses/letztes Halbjahr", "dieses/letztes Jahr", "März 2026" (or "März": this year),
"Q1 2026", "1. Quartal 2026", "2. Halbjahr 2026", and the keys `Period.key` produces.
Pure and framework-free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.basics.reference import fold

MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
             "September", "Oktober", "November", "Dezember")  # fmt: skip
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip
_MONTH_WORDS = (
    {fold(name): i + 1 for i, name in enumerate(MONTHS_DE)}
    | {fold(name[:3]): i + 1 for i, name in enumerate(MONTHS_DE)}
    | {"maerz": 3, "mrz": 3}
)
_KEY = re.compile(r"^(\d{4})(?:-(?:(H[12])|(Q[1-4])|(\d{2})))?$", re.IGNORECASE)
_RANGE_KEY = re.compile(r"^(\d{8})-(\d{8})$")
_DATE = r"(\d{1,2})\.(\d{1,2})\.(\d{4})"
_RANGE = re.compile(rf"^(?:vom\s+)?{_DATE}\s*(?:-|–|bis)\s*{_DATE}$")
_RELATIVE = re.compile(
    r"^(dies|letzt|vorig|vorherig|vergangen)\w*\s+(monat|quartal|halbjahr|jahr)$"
)
_NUMBERED = re.compile(
    r"^(?:(q)([1-4])|([1-4])\s*\.?\s*(quartal)|([12])\s*\.?\s*(halbjahr))\s+(\d{4})$"
)
_MONTH_YEAR = re.compile(r"^([a-z]+)\s*(\d{4})?$")


class PeriodError(ValueError):
    """The text names no period the reports understand."""


@dataclass(frozen=True)
class Period:
    first: date  # first local day
    end: date  # first local day after the period
    kind: str  # year / half / quarter / month / range
    tz: ZoneInfo

    @property
    def start_utc(self) -> datetime:
        return local_midnight(self.first, self.tz)

    @property
    def end_utc(self) -> datetime:
        return local_midnight(self.end, self.tz)

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def key(self) -> str:
        """A short text `parse_period` reads back (used in buttons and file names)."""
        y, m = self.first.year, self.first.month
        return {
            "year": f"{y}",
            "half": f"{y}-H{1 if m == 1 else 2}",
            "quarter": f"{y}-Q{(m - 1) // 3 + 1}",
            "month": f"{y}-{m:02d}",
        }.get(self.kind) or f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"

    def label(self, lang: str = "de") -> str:
        y, m, de = self.first.year, self.first.month, not lang.startswith("en")
        if self.kind == "year":
            return str(y)
        if self.kind == "half":
            half = 1 if m == 1 else 2
            return f"{half}. Halbjahr {y}" if de else f"H{half} {y}"
        if self.kind == "quarter":
            q = (m - 1) // 3 + 1
            return f"{q}. Quartal {y}" if de else f"Q{q} {y}"
        if self.kind == "month":
            return f"{(MONTHS_DE if de else MONTHS_EN)[m - 1]} {y}"
        return f"{self.first:%d.%m.%Y}–{self.last:%d.%m.%Y}"

    def months(self) -> list[date]:
        """The first day of every calendar month the period touches."""
        out, day = [], self.first.replace(day=1)
        while day < self.end:
            out.append(day)
            day = _add_months(day, 1)
        return out

    def years(self) -> list[int]:
        return list(range(self.first.year, self.last.year + 1))


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _add_months(day: date, months: int) -> date:
    years, month0 = divmod(day.month - 1 + months, 12)
    return date(day.year + years, month0 + 1, 1)


def _span(first: date, months: int, kind: str, tz: ZoneInfo) -> Period:
    return Period(first, _add_months(first, months), kind, tz)


def year(y: int, tz: ZoneInfo) -> Period:
    return _span(date(y, 1, 1), 12, "year", tz)


def half(y: int, n: int, tz: ZoneInfo) -> Period:
    return _span(date(y, 6 * (n - 1) + 1, 1), 6, "half", tz)


def quarter(y: int, n: int, tz: ZoneInfo) -> Period:
    return _span(date(y, 3 * (n - 1) + 1, 1), 3, "quarter", tz)


def month(y: int, m: int, tz: ZoneInfo) -> Period:
    return _span(date(y, m, 1), 1, "month", tz)


def date_range(first: date, last: date, tz: ZoneInfo) -> Period:
    if last < first:
        raise PeriodError("the range ends before it starts")
    return Period(first, last + timedelta(days=1), "range", tz)


def relative(unit: str, offset: int, *, today: date, tz: ZoneInfo) -> Period:
    """This (offset 0) or the previous (-1) month, quarter, half-year or year."""
    size = {"monat": 1, "quartal": 3, "halbjahr": 6, "jahr": 12}[unit]
    kind = {"monat": "month", "quartal": "quarter", "halbjahr": "half", "jahr": "year"}[unit]
    first = date(today.year, (today.month - 1) // size * size + 1, 1)
    return _span(_add_months(first, offset * size), size, kind, tz)


def _range_from_match(m: re.Match[str], tz: ZoneInfo) -> Period:
    try:
        first = date(int(m[3]), int(m[2]), int(m[1]))
        last = date(int(m[6]), int(m[5]), int(m[4]))
    except ValueError as exc:
        raise PeriodError("no such date") from exc
    return date_range(first, last, tz)


MIN_YEAR, MAX_YEAR = 2000, 2100


def parse_period(text: str, *, now: datetime, tz: ZoneInfo) -> Period:
    """The period a key or a German phrase names; raises PeriodError otherwise.

    Keys also arrive in callback data, which can be forged: any date the calendar cannot
    hold (year 0, 9999-12 plus one month) is a PeriodError, never a crash.
    """
    try:
        period = _parse_period(text, now=now, tz=tz)
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(f"no such period: {text!r}") from exc
    if not (MIN_YEAR <= period.first.year and period.end.year <= MAX_YEAR):
        raise PeriodError(f"out of range: {text!r}")
    return period


def _parse_period(text: str, *, now: datetime, tz: ZoneInfo) -> Period:
    raw = text.strip()
    if m := _KEY.match(raw):
        y = int(m[1])
        if m[2]:
            return half(y, int(m[2][1]), tz)
        if m[3]:
            return quarter(y, int(m[3][1]), tz)
        if m[4]:
            if not 1 <= int(m[4]) <= 12:
                raise PeriodError("no such month")
            return month(y, int(m[4]), tz)
        return year(y, tz)
    if m := _RANGE_KEY.match(raw):
        try:
            first, last = (datetime.strptime(g, "%Y%m%d").date() for g in m.groups())
        except ValueError as exc:
            raise PeriodError("no such date") from exc
        return date_range(first, last, tz)
    if m := _RANGE.match(raw.lower()):
        return _range_from_match(m, tz)
    words = fold(raw)
    if m := _RELATIVE.match(words):
        today = now.astimezone(tz).date()
        return relative(m[2], 0 if m[1] == "dies" else -1, today=today, tz=tz)
    if m := _NUMBERED.match(words):
        y = int(m[7])
        if m[1]:
            return quarter(y, int(m[2]), tz)
        return quarter(y, int(m[3]), tz) if m[4] else half(y, int(m[5]), tz)
    if (m := _MONTH_YEAR.match(words)) and m[1] in _MONTH_WORDS:
        y = int(m[2]) if m[2] else now.astimezone(tz).year
        return month(y, _MONTH_WORDS[m[1]], tz)
    raise PeriodError(f"unknown period: {text!r}")
