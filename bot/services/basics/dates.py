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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from bot.services.basics.german_phrases import (
    Context,
    Invalid,
    apply_rules,
    at,
    this_or_next_year,
)

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

__all__ = [
    "HINT_EXAMPLES",
    "DateParseError",
    "ParsedDate",
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
        raise Invalid
    m = matches[0]
    hour = m["h1"] or m["h2"] or m["h3"]
    minute = m["m1"] or m["m1b"] or m["m2"] or m["m3"] or "0"
    if m["m1"] and m["m1b"]:
        raise Invalid
    if int(hour) > 23 or int(minute) > 59:
        raise Invalid
    rest = _tidy(f"{text[: m.start()]} {text[m.end() :]}")
    return time(int(hour), int(minute)), rest


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
    day = this_or_next_year(today, year, lambda y: date(y, found.month, found.day))
    return day, clock


def warm_up() -> None:
    """Build the fallback parser and load its German data (~0.1 s) before the first user."""
    _get_parser().get_date_data("1. Januar 2000")


# ---------------------------------------------------------------------------- parsing


def _resolve(rest: str, clock: time | None, ctx: Context) -> tuple[datetime, bool]:
    if not rest:
        if clock is None:
            raise Invalid
        # A bare time is its next occurrence: "18 Uhr" at 19:00 is tomorrow evening.
        value = at(ctx.today, clock, ctx.tz)
        if value < ctx.now:
            value = at(ctx.today + timedelta(days=1), clock, ctx.tz)
        return value, True

    target = apply_rules(_fold(rest), ctx)
    if target is None:
        found = _fallback(rest, ctx.today)
        if found is None:
            raise Invalid
        target, fallback_clock = found
        if fallback_clock is not None:
            if clock is not None:
                raise Invalid
            clock = fallback_clock

    if isinstance(target, datetime):  # "in 3 Stunden" already is a moment
        if clock is not None:
            raise Invalid
        return target, True
    if clock is None:
        return at(target, time(0), ctx.tz), False
    return at(target, clock, ctx.tz), True


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
    ctx = Context(now=now_local, today=now_local.date(), tz=tz)

    normalised = _tidy(unicodedata.normalize("NFC", text).lower())
    try:
        if not normalised:
            raise Invalid
        clock, rest = _extract_time(normalised)
        value, has_time = _resolve(rest, clock, ctx)
    except Invalid:
        raise DateParseError("unparseable", text) from None

    is_past = value < now_local if has_time else value.date() < ctx.today
    if is_past and not allow_past:
        raise DateParseError("past", text, value)
    return ParsedDate(value=value, has_time=has_time)


# ------------------------------------------------ formatting (deprecated: use the message layer)
