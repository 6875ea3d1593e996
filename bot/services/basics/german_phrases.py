"""Everyday German date phrases: normalising, the vocabulary (weekdays, months, number
words), calendar arithmetic and the rules that turn a phrase into a day or a moment.

`dates.parse_german_date` uses these rules first and dateparser only as the fallback.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.basics.workdays import add_working_days


class Invalid(Exception):
    """A phrase that matched a rule but names no real date (31.2., 25 Uhr, KW 60)."""


# ------------------------------------------------------------------------- vocabulary

_WEEKDAYS = {
    "montag": 0, "mo": 0,
    "dienstag": 1, "di": 1,
    "mittwoch": 2, "mi": 2,
    "donnerstag": 3, "do": 3,
    "freitag": 4, "fr": 4,
    "samstag": 5, "sonnabend": 5, "sa": 5,
    "sonntag": 6, "so": 6,
}  # fmt: skip
_MONTHS = {
    "januar": 1, "jan": 1, "janner": 1,
    "februar": 2, "feb": 2, "febr": 2,
    "marz": 3, "mar": 3, "mrz": 3,
    "april": 4, "apr": 4,
    "mai": 5,
    "juni": 6, "jun": 6,
    "juli": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "okt": 10,
    "november": 11, "nov": 11,
    "dezember": 12, "dez": 12,
}  # fmt: skip
_NUMBER_WORDS = {
    "ein": 1, "eine": 1, "einem": 1, "einen": 1, "einer": 1, "eins": 1,
    "zwei": 2, "zwo": 2, "drei": 3, "vier": 4, "funf": 5, "sechs": 6, "sieben": 7,
    "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwolf": 12, "vierzehn": 14,
    "zwanzig": 20, "dreissig": 30,
}  # fmt: skip
# Week modifiers -> offset in calendar weeks.
_WEEK_MODS = {
    "dies": 0, "kommend": 1, "nachst": 1, "ubernachst": 2,
    "letzt": -1, "vergangen": -1, "vorig": -1,
}  # fmt: skip


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so "montag" is tried before "mo".
    return "|".join(sorted(words, key=len, reverse=True))


_WD = rf"(?P<wd>{_alternation(_WEEKDAYS)})\.?"
_MON = rf"(?P<mon>{_alternation(_MONTHS)})\.?"
_NUM = rf"(?P<n>\d{{1,4}}|{_alternation(_NUMBER_WORDS)})"
_WMOD = rf"(?P<wmod>{_alternation(_WEEK_MODS)})e[nmrs]?"
_WEEK = rf"(?:in\s+)?(?:der\s+)?{_WMOD}\s+woche"
_PART = r"(?P<part>anfang|mitte|ende)"
_UNIT = (
    r"(?P<unit>werktag(?:e|en)?|arbeitstag(?:e|en)?|tag(?:e|en)?|woche(?:n)?|monat(?:e|en)?"
    r"|jahr(?:e|en)?|stunde(?:n)?|std|h|minute(?:n)?|min)"
)
_WITHIN = r"(?:in|binnen|innerhalb(?:\s+von)?)"
_YEAR4 = r"(?P<y>\d{4})"


# ----------------------------------------------------------------------- calendar math


@dataclass(frozen=True)
class Context:
    now: datetime  # aware, in tz
    today: date
    tz: ZoneInfo


def at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    # The UTC round trip moves a wall time inside a DST gap forward to a real one.
    naive = datetime.combine(day, clock)
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def _add_months(day: date, months: int) -> date:
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return date(year, month0 + 1, min(day.day, monthrange(year, month0 + 1)[1]))


def _monday(day: date, week_offset: int = 0) -> date:
    return day - timedelta(days=day.weekday()) + timedelta(weeks=week_offset)


def _upcoming(today: date, weekday: int, *, include_today: bool) -> date:
    delta = (weekday - today.weekday()) % 7
    if delta == 0 and not include_today:
        delta = 7
    return today + timedelta(days=delta)


def _end_of_week(today: date, week_offset: int) -> date:
    friday = _monday(today, week_offset) + timedelta(days=4)
    # On a weekend this week's work is over; "bis Ende der Woche" then means next Friday.
    if week_offset == 0 and friday < today:
        friday += timedelta(weeks=1)
    return friday


def _part_of_week(today: date, part: str, week_offset: int) -> date:
    if part == "ende":
        return _end_of_week(today, week_offset)
    return _monday(today, week_offset) + timedelta(days=0 if part == "anfang" else 2)


def _part_of_month(year: int, month: int, part: str) -> date:
    day = {"anfang": 1, "mitte": 15}.get(part) or monthrange(year, month)[1]
    return date(year, month, day)


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    return int(raw) + 2000 if len(raw) <= 2 else int(raw)


def this_or_next_year(today: date, year: int | None, make: Callable[[int], date]) -> date:
    """``make(year)``; without a year the first of this/next year that is not past."""
    if year is not None:
        try:
            return make(year)
        except ValueError as exc:
            raise Invalid from exc
    for candidate_year in (today.year, today.year + 1):
        try:
            candidate = make(candidate_year)
        except ValueError:
            continue  # 29.2. outside a leap year
        if candidate >= today:
            return candidate
    raise Invalid


def _count(raw: str) -> int:
    return int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]


def _shift(ctx: Context, n: int, unit: str) -> date | datetime:
    if unit.startswith(("werk", "arbeit")):
        return add_working_days(ctx.today, n)
    if unit.startswith("tag"):
        return ctx.today + timedelta(days=n)
    if unit.startswith("woche"):
        return ctx.today + timedelta(weeks=n)
    if unit.startswith("monat"):
        return _add_months(ctx.today, n)
    if unit.startswith("jahr"):
        return _add_months(ctx.today, 12 * n)
    minutes = n if unit.startswith("min") else 60 * n
    return _elapsed(ctx, minutes)


def _elapsed(ctx: Context, minutes: int) -> datetime:
    # Elapsed time, not wall time: "in 3 Stunden" across a DST switch is still 3 hours.
    return (ctx.now.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(ctx.tz)


# ------------------------------------------------------------------------------ rules

_Handler = Callable[[re.Match[str], Context], date | datetime]
_RULES: list[tuple[re.Pattern[str], _Handler]] = []


def _rule(*patterns: str) -> Callable[[_Handler], _Handler]:
    # Several patterns per handler because re forbids a group name twice in one pattern.
    def register(handler: _Handler) -> _Handler:
        _RULES.extend((re.compile(pattern), handler) for pattern in patterns)
        return handler

    return register


_SIMPLE_DAYS = {"heute": 0, "heut": 0, "morgen": 1, "ubermorgen": 2, "gestern": -1,
                "vorgestern": -2}  # fmt: skip


@_rule(rf"(?P<word>{_alternation(_SIMPLE_DAYS)})")
def _simple_day(m: re.Match[str], ctx: Context) -> date:
    return ctx.today + timedelta(days=_SIMPLE_DAYS[m["word"]])


@_rule(rf"(?:heute\s+)?{_WITHIN}\s+{_NUM}\s*{_UNIT}")
def _in_n_units(m: re.Match[str], ctx: Context) -> date | datetime:
    return _shift(ctx, _count(m["n"]), m["unit"])


@_rule(rf"vor\s+{_NUM}\s*{_UNIT}")
def _n_units_ago(m: re.Match[str], ctx: Context) -> date | datetime:
    return _shift(ctx, -_count(m["n"]), m["unit"])


_FRACTIONS = {"halben stunde": 30, "viertelstunde": 15, "viertel stunde": 15,
              "dreiviertelstunde": 45, "dreiviertel stunde": 45,
              "anderthalb stunden": 90, "eineinhalb stunden": 90}  # fmt: skip


@_rule(rf"{_WITHIN}\s+(?:einer\s+)?(?P<frac>{_alternation(_FRACTIONS)})")
def _in_fraction_of_hour(m: re.Match[str], ctx: Context) -> datetime:
    return _elapsed(ctx, _FRACTIONS[m["frac"]])


@_rule(rf"(?:(?P<mod>{_alternation(_WEEK_MODS)})e[nmrs]?\s+)?{_WD}")
def _weekday(m: re.Match[str], ctx: Context) -> date:
    weekday, mod = _WEEKDAYS[m["wd"]], m["mod"]
    if mod in ("nachst", "ubernachst"):
        return _monday(ctx.today, _WEEK_MODS[mod]) + timedelta(days=weekday)
    if mod in ("letzt", "vergangen", "vorig"):
        delta = (ctx.today.weekday() - weekday) % 7 or 7
        return ctx.today - timedelta(days=delta)
    return _upcoming(ctx.today, weekday, include_today=mod == "dies")


@_rule(rf"{_WEEK},?\s+(?:am\s+)?{_WD}", rf"{_WD},?\s+{_WEEK}")
def _weekday_of_week(m: re.Match[str], ctx: Context) -> date:
    return _monday(ctx.today, _WEEK_MODS[m["wmod"]]) + timedelta(days=_WEEKDAYS[m["wd"]])


@_rule(_WEEK)
def _week(m: re.Match[str], ctx: Context) -> date:
    offset = _WEEK_MODS[m["wmod"]]
    # "bis diese Woche" only makes sense as a deadline: the end of this working week.
    return _end_of_week(ctx.today, 0) if offset == 0 else _monday(ctx.today, offset)


@_rule(rf"{_PART}\s+(?:der\s+)?(?:{_WMOD}\s+)?woche")
def _part_of_week_rule(m: re.Match[str], ctx: Context) -> date:
    offset = _WEEK_MODS[m["wmod"]] if m["wmod"] else 0
    return _part_of_week(ctx.today, m["part"], offset)


@_rule(rf"{_PART}\s+(?:des\s+|dieses\s+)?monats|monats(?P<part2>anfang|mitte|ende)|ultimo")
def _part_of_this_month(m: re.Match[str], ctx: Context) -> date:
    part = m["part"] or m["part2"] or "ende"
    return _part_of_month(ctx.today.year, ctx.today.month, part)


@_rule(rf"(?:{_PART}\s+(?:des\s+)?)?(?:nachst|kommend)en\s+monats?")
def _part_of_next_month(m: re.Match[str], ctx: Context) -> date:
    first = _add_months(ctx.today.replace(day=1), 1)
    return _part_of_month(first.year, first.month, m["part"] or "anfang")


@_rule(rf"{_PART}\s+{_MON}(?:\s+{_YEAR4})?")
def _part_of_named_month(m: re.Match[str], ctx: Context) -> date:
    month = _MONTHS[m["mon"]]
    return this_or_next_year(
        ctx.today, _year(m["y"]), lambda year: _part_of_month(year, month, m["part"])
    )


def _quarter_end(year: int, quarter: int) -> date:
    return _part_of_month(year, 3 * quarter, "ende")


@_rule(r"ende\s+(?:des|dieses)\s+quartals|quartalsende")
def _end_of_this_quarter(m: re.Match[str], ctx: Context) -> date:
    return _quarter_end(ctx.today.year, (ctx.today.month - 1) // 3 + 1)


@_rule(rf"ende\s+(?:des\s+)?(?:q\s*(?P<q>[1-4])|(?P<q2>[1-4])\.\s*quartals?)(?:\s+{_YEAR4})?")
def _end_of_quarter(m: re.Match[str], ctx: Context) -> date:
    quarter = int(m["q"] or m["q2"])
    return this_or_next_year(ctx.today, _year(m["y"]), lambda year: _quarter_end(year, quarter))


@_rule(r"ende\s+(?:des|dieses)\s+jahres|jahresende")
def _end_of_year(m: re.Match[str], ctx: Context) -> date:
    return date(ctx.today.year, 12, 31)


@_rule(
    r"(?:in\s+)?(?:der\s+)?"
    r"(?:(?:kw|kalenderwoche)\s*(?P<w>\d{1,2})|(?P<w2>\d{1,2})\.\s*(?:kw|kalenderwoche))"
    r"(?:\s*[/ ]\s*(?P<y>\d{4}|\d{2}))?"
)
def _calendar_week(m: re.Match[str], ctx: Context) -> date:
    week = int(m["w"] or m["w2"])

    def sunday(year: int) -> date:
        return date.fromisocalendar(year, week, 7)

    # Resolve by the week's last day, so the running week stays this year's week, and
    # answer today rather than its Monday that has passed.
    last_day = this_or_next_year(ctx.today, _year(m["y"]), sunday)
    monday = last_day - timedelta(days=6)
    return ctx.today if monday < ctx.today <= last_day else monday


_WD_PREFIX = rf"(?:{_WD},?\s*(?:den\s+)?)?"


@_rule(rf"{_WD_PREFIX}(?P<d>\d{{1,2}})\.\s*(?P<m>\d{{1,2}})(?:\.(?:\s*(?P<y>\d{{4}}|\d{{2}}))?)?")
def _numeric_date(m: re.Match[str], ctx: Context) -> date:
    day, month = int(m["d"]), int(m["m"])
    return this_or_next_year(ctx.today, _year(m["y"]), lambda year: date(year, month, day))


@_rule(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
def _iso_date(m: re.Match[str], ctx: Context) -> date:
    try:
        return date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError as exc:
        raise Invalid from exc


@_rule(rf"{_WD_PREFIX}(?P<d>\d{{1,2}})\.?\s*{_MON}(?:\s*{_YEAR4})?")
def _named_month_date(m: re.Match[str], ctx: Context) -> date:
    day, month = int(m["d"]), _MONTHS[m["mon"]]
    return this_or_next_year(ctx.today, _year(m["y"]), lambda year: date(year, month, day))


def apply_rules(folded: str, ctx: Context) -> date | datetime | None:
    for pattern, handler in _RULES:
        m = pattern.fullmatch(folded)
        if m is not None:
            try:
                return handler(m, ctx)
            except (ValueError, OverflowError) as exc:  # e.g. "in 9999 Jahren"
                raise Invalid from exc
    return None
