"""Dates, times, numbers and percentages for the reader's locale, by Babel (CLDR).

German and English keep the bot's compact forms ("Fr, 13.03.2026, 18:00", "Fri, 13 Mar
2026, 18:00"); every other locale gets CLDR's own date-with-weekday form. A moment is shown in
the zone it carries: callers convert to Europe/Berlin first (`local`).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_date
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal, format_percent

from bot.i18n import FSI, PDI, Translator
from bot.services.basics.dates import ParsedDate

# CLDR patterns where the bot keeps its established compact form; others use the skeleton.
_DATE_PATTERNS = {"de": "ccc, dd.MM.yyyy", "en": "EEE, d MMM y"}
_DATE_SKELETON = "yMMMEd"


@lru_cache(maxsize=32)
def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):  # e.g. the tests' pseudo-locale
        return Locale.parse("de")


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz)


def format_date(value: datetime | date, *, lang: str, with_time: bool | None = None) -> str:
    """A day with its weekday, and the time unless it is midnight (`with_time=None`)."""
    locale = _locale(lang)
    day = value.date() if isinstance(value, datetime) else value
    pattern = _DATE_PATTERNS.get(locale.language)
    if pattern is not None:
        text = babel_date(day, pattern, locale=locale)
    else:
        text = format_skeleton(_DATE_SKELETON, day, locale=locale)
    if not isinstance(value, datetime):
        return text
    if with_time is None:
        with_time = (value.hour, value.minute) != (0, 0)
    return f"{text}, {format_time(value, 'HH:mm', locale=locale)}" if with_time else text


def format_parsed(parsed: ParsedDate, *, lang: str) -> str:
    """A parsed date echoed for confirmation: with the time exactly when the user gave one."""
    return format_date(parsed.value, lang=lang, with_time=parsed.has_time)


def format_moment(moment: datetime, tz: ZoneInfo, *, lang: str) -> str:
    """A stored UTC moment in the city's zone, always with its time."""
    return format_date(moment.astimezone(tz), lang=lang, with_time=True)


def format_number(value: float | int, *, lang: str, digits: int = 1) -> str:
    """1234.5 -> "1.234,5" (de), "1,234.5" (en)."""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def format_share(value: float, *, lang: str, digits: int = 0) -> str:
    """A share 0..1 as a percentage in the locale's form: 0.425 -> "42 %" (de), "42%" (en),
    "%42" (tr)."""
    locale = _locale(lang)
    pattern = locale.percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return format_percent(value, format=pattern, locale=locale)


def language_name(code: str) -> str:
    """A language's name in itself ("Deutsch", "Türkçe", "العربية"), capitalised."""
    name = _locale(code).get_display_name(_locale(code)) or code
    return name[:1].upper() + name[1:]


def isolate(t: Translator, value: str) -> str:
    """A value composed into a line outside the catalogue (a reference number, a phone
    number, a German name) keeps its own direction in a right-to-left language."""
    return f"{FSI}{value}{PDI}" if t.rtl and value else value
