"""Parse the due dates and meeting times city employees type in everyday German.

dateparser alone misreads many everyday phrases ("bis Freitag", "Ende März", "KW 12",
"morgen um 18 Uhr" comes back as 10:00), so a small rule set handles the common German
forms and a reused German-only ``DateDataParser`` is only the fallback for unusual
absolute dates ("15/3", "März 15"). Every fallback result is checked against the text, so
dateparser never fills in a part the user did not type.

Conventions (the bot always echoes the understood date with its weekday for confirmation):

* A bare weekday ("Freitag") is the next such day after today; on a Friday that is next week.
* "nächsten Freitag" is Friday of next calendar week, "diesen/kommenden Freitag" the
  upcoming one; "nächste Woche" is Monday of next week.
* "Ende der Woche"/"diese Woche" is Friday (on a weekend: next Friday).
* "Anfang/Mitte/Ende <Monat>" is the 1st/15th/last day; "KW n" its Monday (or today when
  that week has already begun).
* A day-month date without a year that already passed this year means next year; the
  same holds for "Ende <Monat>" and "KW n" without a year.
* "in n Stunden/Minuten" counts elapsed time, so it stays correct across DST switches.

Pure and framework-free: no Telegram imports.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from calendar import monthrange
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from bot.services.basics.workdays import add_working_days

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

__all__ = [
    "HINT_EXAMPLES",
    "DateParseError",
    "ParsedDate",
    "format_date",
    "format_parsed",
    "parse_german_date",
    "warm_up",
]

Reason = Literal["past", "unparseable", "empty"]

# Phrases a "could not understand" answer can suggest; all of them parse.
HINT_EXAMPLES: tuple[str, ...] = (
    "morgen",
    "Freitag 14 Uhr",
    "15.3.",
    "in 2 Wochen",
    "Ende März",
    "KW 12",
)


@dataclass(frozen=True)
class ParsedDate:
    value: datetime  # timezone-aware, in the requested tz
    has_time: bool  # False when the user gave only a day (value is then 00:00 local)


class DateParseError(ValueError):
    """Raised when a phrase cannot be used; ``reason`` tells the bot which answer to give."""

    def __init__(self, reason: Reason, text: str, value: datetime | None = None) -> None:
        self.reason: Reason = reason
        self.text = text
        # For reason "past": what the text meant, so the answer can name the date.
        self.value = value
        super().__init__(f"{reason}: {text!r}")


class _Invalid(Exception):
    """A phrase that matched a rule but names no real date (31.2., 25 Uhr, KW 60)."""


# --------------------------------------------------------------------------- normalising

_WS = re.compile(r"\s+")
_EDGE_START = re.compile(r"^[\s,;:!?…\"'“”„»«()\-–]+")
_EDGE_END = re.compile(r"[\s,;:!?…\"'“”„»«()\-–]+$")
# "Fr." or "Mär." lose their dot; "15.3." keeps it.
_WORD_DOT_END = re.compile(r"(?<=[^\W\d_])\.+$")
# Filler words in front of a date: "bis spätestens zum 15.3.", "fällig am Freitag".
_PREFIX = re.compile(
    r"^(?:bis|am|zum|zur|sp(?:ä|ae|a)testens|ab|f(?:ü|ue|u)r|den|per|vom|noch|f(?:ä|ae|a)llig)"
    r"\b[.:]?\s*"
)
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


def _tidy(text: str) -> str:
    text = _WS.sub(" ", text).strip()
    while True:
        before = text
        text = _EDGE_START.sub("", text)
        text = _EDGE_END.sub("", text)
        text = _WORD_DOT_END.sub("", text)
        text = _PREFIX.sub("", text)
        if text == before:
            return text


def _fold(text: str) -> str:
    # Rules match one spelling: "Übermorgen", "uebermorgen" and "ubermorgen" all fold alike.
    text = text.translate(_FOLD)
    return text.replace("ae", "a").replace("oe", "o").replace("ue", "u")


# ------------------------------------------------------------------------------ times

_TIME_LEAD = r"(?:\b(?:um|gegen|ab|bis)\s+)?"
_TIME = re.compile(
    # "18 Uhr", "um 18.30 Uhr", "18 Uhr 30"
    _TIME_LEAD + r"\b(?P<h1>\d{1,2})(?:[:.](?P<m1>\d{2}))?\s*uhr\b(?:\s*(?P<m1b>\d{2})\b)?"
    # "18:00", "um 10:30"
    r"|" + _TIME_LEAD + r"\b(?P<h2>\d{1,2}):(?P<m2>\d{2})\b(?:\s*uhr\b)?"
    # "um 18", "um 10.30" but not the date in "um 15.3."
    r"|\b(?:um|gegen)\s+(?P<h3>\d{1,2})(?:[.:](?P<m3>\d{2}))?\b(?![.:]?\d)"
)


def _extract_time(text: str) -> tuple[time | None, str]:
    matches = list(_TIME.finditer(text))
    if not matches:
        return None, text
    if len(matches) > 1:
        raise _Invalid
    m = matches[0]
    hour = m["h1"] or m["h2"] or m["h3"]
    minute = m["m1"] or m["m1b"] or m["m2"] or m["m3"] or "0"
    if m["m1"] and m["m1b"]:
        raise _Invalid
    if int(hour) > 23 or int(minute) > 59:
        raise _Invalid
    rest = _tidy(f"{text[: m.start()]} {text[m.end() :]}")
    return time(int(hour), int(minute)), rest


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
class _Context:
    now: datetime  # aware, in tz
    today: date
    tz: ZoneInfo


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
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


def _this_or_next_year(today: date, year: int | None, make: Callable[[int], date]) -> date:
    """``make(year)``; without a year the first of this/next year that is not past."""
    if year is not None:
        try:
            return make(year)
        except ValueError as exc:
            raise _Invalid from exc
    for candidate_year in (today.year, today.year + 1):
        try:
            candidate = make(candidate_year)
        except ValueError:
            continue  # 29.2. outside a leap year
        if candidate >= today:
            return candidate
    raise _Invalid


def _count(raw: str) -> int:
    return int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]


def _shift(ctx: _Context, n: int, unit: str) -> date | datetime:
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


def _elapsed(ctx: _Context, minutes: int) -> datetime:
    # Elapsed time, not wall time: "in 3 Stunden" across a DST switch is still 3 hours.
    return (ctx.now.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(ctx.tz)


# ------------------------------------------------------------------------------ rules

_Handler = Callable[[re.Match[str], _Context], date | datetime]
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
def _simple_day(m: re.Match[str], ctx: _Context) -> date:
    return ctx.today + timedelta(days=_SIMPLE_DAYS[m["word"]])


@_rule(rf"(?:heute\s+)?{_WITHIN}\s+{_NUM}\s*{_UNIT}")
def _in_n_units(m: re.Match[str], ctx: _Context) -> date | datetime:
    return _shift(ctx, _count(m["n"]), m["unit"])


@_rule(rf"vor\s+{_NUM}\s*{_UNIT}")
def _n_units_ago(m: re.Match[str], ctx: _Context) -> date | datetime:
    return _shift(ctx, -_count(m["n"]), m["unit"])


_FRACTIONS = {"halben stunde": 30, "viertelstunde": 15, "viertel stunde": 15,
              "dreiviertelstunde": 45, "dreiviertel stunde": 45,
              "anderthalb stunden": 90, "eineinhalb stunden": 90}  # fmt: skip


@_rule(rf"{_WITHIN}\s+(?:einer\s+)?(?P<frac>{_alternation(_FRACTIONS)})")
def _in_fraction_of_hour(m: re.Match[str], ctx: _Context) -> datetime:
    return _elapsed(ctx, _FRACTIONS[m["frac"]])


@_rule(rf"(?:(?P<mod>{_alternation(_WEEK_MODS)})e[nmrs]?\s+)?{_WD}")
def _weekday(m: re.Match[str], ctx: _Context) -> date:
    weekday, mod = _WEEKDAYS[m["wd"]], m["mod"]
    if mod in ("nachst", "ubernachst"):
        return _monday(ctx.today, _WEEK_MODS[mod]) + timedelta(days=weekday)
    if mod in ("letzt", "vergangen", "vorig"):
        delta = (ctx.today.weekday() - weekday) % 7 or 7
        return ctx.today - timedelta(days=delta)
    return _upcoming(ctx.today, weekday, include_today=mod == "dies")


@_rule(rf"{_WEEK},?\s+(?:am\s+)?{_WD}", rf"{_WD},?\s+{_WEEK}")
def _weekday_of_week(m: re.Match[str], ctx: _Context) -> date:
    return _monday(ctx.today, _WEEK_MODS[m["wmod"]]) + timedelta(days=_WEEKDAYS[m["wd"]])


@_rule(_WEEK)
def _week(m: re.Match[str], ctx: _Context) -> date:
    offset = _WEEK_MODS[m["wmod"]]
    # "bis diese Woche" only makes sense as a deadline: the end of this working week.
    return _end_of_week(ctx.today, 0) if offset == 0 else _monday(ctx.today, offset)


@_rule(rf"{_PART}\s+(?:der\s+)?(?:{_WMOD}\s+)?woche")
def _part_of_week_rule(m: re.Match[str], ctx: _Context) -> date:
    offset = _WEEK_MODS[m["wmod"]] if m["wmod"] else 0
    return _part_of_week(ctx.today, m["part"], offset)


@_rule(rf"{_PART}\s+(?:des\s+|dieses\s+)?monats|monats(?P<part2>anfang|mitte|ende)|ultimo")
def _part_of_this_month(m: re.Match[str], ctx: _Context) -> date:
    part = m["part"] or m["part2"] or "ende"
    return _part_of_month(ctx.today.year, ctx.today.month, part)


@_rule(rf"(?:{_PART}\s+(?:des\s+)?)?(?:nachst|kommend)en\s+monats?")
def _part_of_next_month(m: re.Match[str], ctx: _Context) -> date:
    first = _add_months(ctx.today.replace(day=1), 1)
    return _part_of_month(first.year, first.month, m["part"] or "anfang")


@_rule(rf"{_PART}\s+{_MON}(?:\s+{_YEAR4})?")
def _part_of_named_month(m: re.Match[str], ctx: _Context) -> date:
    month = _MONTHS[m["mon"]]
    return _this_or_next_year(
        ctx.today, _year(m["y"]), lambda year: _part_of_month(year, month, m["part"])
    )


def _quarter_end(year: int, quarter: int) -> date:
    return _part_of_month(year, 3 * quarter, "ende")


@_rule(r"ende\s+(?:des|dieses)\s+quartals|quartalsende")
def _end_of_this_quarter(m: re.Match[str], ctx: _Context) -> date:
    return _quarter_end(ctx.today.year, (ctx.today.month - 1) // 3 + 1)


@_rule(rf"ende\s+(?:des\s+)?(?:q\s*(?P<q>[1-4])|(?P<q2>[1-4])\.\s*quartals?)(?:\s+{_YEAR4})?")
def _end_of_quarter(m: re.Match[str], ctx: _Context) -> date:
    quarter = int(m["q"] or m["q2"])
    return _this_or_next_year(ctx.today, _year(m["y"]), lambda year: _quarter_end(year, quarter))


@_rule(r"ende\s+(?:des|dieses)\s+jahres|jahresende")
def _end_of_year(m: re.Match[str], ctx: _Context) -> date:
    return date(ctx.today.year, 12, 31)


@_rule(
    r"(?:in\s+)?(?:der\s+)?"
    r"(?:(?:kw|kalenderwoche)\s*(?P<w>\d{1,2})|(?P<w2>\d{1,2})\.\s*(?:kw|kalenderwoche))"
    r"(?:\s*[/ ]\s*(?P<y>\d{4}|\d{2}))?"
)
def _calendar_week(m: re.Match[str], ctx: _Context) -> date:
    week = int(m["w"] or m["w2"])

    def sunday(year: int) -> date:
        return date.fromisocalendar(year, week, 7)

    # Resolve by the week's last day, so the running week stays this year's week, and
    # answer today rather than its Monday that has passed.
    last_day = _this_or_next_year(ctx.today, _year(m["y"]), sunday)
    monday = last_day - timedelta(days=6)
    return ctx.today if monday < ctx.today <= last_day else monday


_WD_PREFIX = rf"(?:{_WD},?\s*(?:den\s+)?)?"


@_rule(rf"{_WD_PREFIX}(?P<d>\d{{1,2}})\.\s*(?P<m>\d{{1,2}})(?:\.(?:\s*(?P<y>\d{{4}}|\d{{2}}))?)?")
def _numeric_date(m: re.Match[str], ctx: _Context) -> date:
    day, month = int(m["d"]), int(m["m"])
    return _this_or_next_year(ctx.today, _year(m["y"]), lambda year: date(year, month, day))


@_rule(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
def _iso_date(m: re.Match[str], ctx: _Context) -> date:
    try:
        return date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError as exc:
        raise _Invalid from exc


@_rule(rf"{_WD_PREFIX}(?P<d>\d{{1,2}})\.?\s*{_MON}(?:\s*{_YEAR4})?")
def _named_month_date(m: re.Match[str], ctx: _Context) -> date:
    day, month = int(m["d"]), _MONTHS[m["mon"]]
    return _this_or_next_year(ctx.today, _year(m["y"]), lambda year: date(year, month, day))


def _apply_rules(folded: str, ctx: _Context) -> date | datetime | None:
    for pattern, handler in _RULES:
        m = pattern.fullmatch(folded)
        if m is not None:
            try:
                return handler(m, ctx)
            except (ValueError, OverflowError) as exc:  # e.g. "in 9999 Jahren"
                raise _Invalid from exc
    return None


# ------------------------------------------------------------------ dateparser fallback

_parser: DateDataParser | None = None
_parser_lock = threading.Lock()


def _get_parser() -> DateDataParser:
    global _parser
    if _parser is None:
        with _parser_lock:
            if _parser is None:
                from dateparser.date import DateDataParser

                # Absolute dates only (relative phrases are ours) and a fixed base, so a
                # result never depends on the wall clock; RELATIVE_BASE is per parser.
                _parser = DateDataParser(
                    languages=["de"],
                    settings={
                        "PARSERS": ["absolute-time"],
                        "RELATIVE_BASE": datetime(2000, 1, 1),
                        "RETURN_AS_TIMEZONE_AWARE": False,
                        "DATE_ORDER": "DMY",
                    },
                )
    return _parser


def _appears(number: int, text: str, *, width: int = 1) -> bool:
    return re.search(rf"(?<!\d)0*{number:0{width}d}(?!\d)", text) is not None


def _fallback(text: str, today: date) -> tuple[date, time | None] | None:
    """A day dateparser finds in ``text``, accepted only if the text names each part."""
    result = _get_parser().get_date_data(text)
    found = result.date_obj
    if found is None or result.period != "day":
        return None
    parts = set(getattr(result, "parts", None) or ("year", "month", "day"))
    # dateparser fills missing parts from its base (and reads "10 Uhr" as 2010), so every
    # part it claims has to be in the text.
    if not {"day", "month"} <= parts or not _appears(found.day, text):
        return None
    if "year" in parts and not _appears(found.year, text, width=4):
        return None
    clock = None
    if "time" in parts:
        if not (_appears(found.hour, text) and _appears(found.minute, text, width=2)):
            return None
        clock = time(found.hour, found.minute)
    year = found.year if "year" in parts else None
    day = _this_or_next_year(today, year, lambda y: date(y, found.month, found.day))
    return day, clock


def warm_up() -> None:
    """Build the fallback parser and load its German data (~0.1 s) before the first user."""
    _get_parser().get_date_data("1. Januar 2000")


# ---------------------------------------------------------------------------- parsing


def _resolve(rest: str, clock: time | None, ctx: _Context) -> tuple[datetime, bool]:
    if not rest:
        if clock is None:
            raise _Invalid
        # A bare time is its next occurrence: "18 Uhr" at 19:00 is tomorrow evening.
        value = _at(ctx.today, clock, ctx.tz)
        if value < ctx.now:
            value = _at(ctx.today + timedelta(days=1), clock, ctx.tz)
        return value, True

    target = _apply_rules(_fold(rest), ctx)
    if target is None:
        found = _fallback(rest, ctx.today)
        if found is None:
            raise _Invalid
        target, fallback_clock = found
        if fallback_clock is not None:
            if clock is not None:
                raise _Invalid
            clock = fallback_clock

    if isinstance(target, datetime):  # "in 3 Stunden" already is a moment
        if clock is not None:
            raise _Invalid
        return target, True
    if clock is None:
        return _at(target, time(0), ctx.tz), False
    return _at(target, clock, ctx.tz), True


def parse_german_date(
    text: str, *, now: datetime, tz: ZoneInfo, allow_past: bool = False
) -> ParsedDate:
    """Parse a German date or date-and-time phrase relative to ``now``.

    ``now`` may be in any zone (a naive ``now`` is taken as local time in ``tz``); the
    result is in ``tz``. Raises :class:`DateParseError` with reason "empty" for blank
    input, "unparseable" for anything not understood or not a real date, and "past" for
    a day before today (or, with a time, a moment before ``now``) unless ``allow_past``.
    """
    if not text or not text.strip():
        raise DateParseError("empty", text)
    now_local = now.replace(tzinfo=tz) if now.tzinfo is None else now.astimezone(tz)
    ctx = _Context(now=now_local, today=now_local.date(), tz=tz)

    normalised = _tidy(unicodedata.normalize("NFC", text).lower())
    try:
        if not normalised:
            raise _Invalid
        clock, rest = _extract_time(normalised)
        value, has_time = _resolve(rest, clock, ctx)
    except _Invalid:
        raise DateParseError("unparseable", text) from None

    is_past = value < now_local if has_time else value.date() < ctx.today
    if is_past and not allow_past:
        raise DateParseError("past", text, value)
    return ParsedDate(value=value, has_time=has_time)


# ------------------------------------------------------------------------- formatting

_WEEKDAY_NAMES = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTH_NAMES_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip


def format_date(value: datetime | date, *, lang: str = "de", with_time: bool | None = None) -> str:
    """German "Fr, 13.03.2026" / "Do, 12.03.2026, 18:00"; English "Fri, 13 Mar 2026".

    ``value`` is shown in its own zone. ``with_time=None`` shows the time unless it is
    midnight (pass ``True`` for a meeting at 00:00). Languages other than English fall
    back to German, the bot's default. Independent of the process locale.
    """
    english = lang.lower().startswith("en")
    weekday = _WEEKDAY_NAMES["en" if english else "de"][value.weekday()]
    if english:
        text = f"{weekday}, {value.day} {_MONTH_NAMES_EN[value.month - 1]} {value.year}"
    else:
        text = f"{weekday}, {value.day:02d}.{value.month:02d}.{value.year}"
    if not isinstance(value, datetime):
        return text
    if with_time is None:
        with_time = (value.hour, value.minute) != (0, 0)
    return f"{text}, {value.hour:02d}:{value.minute:02d}" if with_time else text


def format_parsed(parsed: ParsedDate, *, lang: str = "de") -> str:
    """Format a parse result, showing the time exactly when the user gave one."""
    return format_date(parsed.value, lang=lang, with_time=parsed.has_time)
