from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.messages import formatting
from bot.services.basics import dates
from bot.services.basics.dates import (
    HINT_EXAMPLES,
    DateParseError,
    ParsedDate,
    parse_german_date,
)


def format_date(value: datetime | date, *, lang: str = "de", with_time: bool | None = None) -> str:
    """The message layer's formatter, German by default as the bot's UI."""
    return formatting.format_date(value, lang=lang, with_time=with_time)


def format_parsed(parsed: ParsedDate, *, lang: str = "de") -> str:
    return formatting.format_parsed(parsed, lang=lang)


BERLIN = ZoneInfo("Europe/Berlin")
# Base of /work/shared/german-dates.md: Wednesday 2026-03-11 10:00 in Berlin.
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=BERLIN)
SPEC = Path("/work/shared/german-dates.md")


def parse(text: str, now: datetime = NOW, **kwargs: bool) -> ParsedDate:
    return parse_german_date(text, now=now, tz=BERLIN, **kwargs)


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=BERLIN)


def assert_day(result: ParsedDate, expected: date) -> None:
    assert result.has_time is False
    assert result.value == day(expected.year, expected.month, expected.day)
    assert result.value.tzinfo is BERLIN
    assert (result.value.hour, result.value.minute) == (0, 0)


def assert_moment(result: ParsedDate, expected: datetime) -> None:
    assert result.has_time is True
    assert result.value == expected
    assert result.value.tzinfo is BERLIN
    assert result.value.utcoffset() == expected.utcoffset()


# ------------------------------------------------------------------ german-dates.md table

# Every phrase of the table; several answers where the spec allows either.
TABLE_DAYS: list[tuple[str, tuple[date, ...]]] = [
    ("heute", (date(2026, 3, 11),)),
    ("morgen", (date(2026, 3, 12),)),
    ("übermorgen", (date(2026, 3, 13),)),
    ("in drei Tagen", (date(2026, 3, 14),)),
    ("in einer Woche", (date(2026, 3, 18),)),
    ("in zwei Wochen", (date(2026, 3, 25),)),
    ("in 2 Wochen", (date(2026, 3, 25),)),
    ("in einem Monat", (date(2026, 4, 11),)),
    ("Freitag", (date(2026, 3, 13),)),
    ("am Freitag", (date(2026, 3, 13),)),
    ("bis Freitag", (date(2026, 3, 13),)),
    ("nächsten Freitag", (date(2026, 3, 13), date(2026, 3, 20))),
    ("bis nächsten Freitag", (date(2026, 3, 13), date(2026, 3, 20))),
    ("nächste Woche", (date(2026, 3, 16), date(2026, 3, 18))),
    ("nächste Woche Dienstag", (date(2026, 3, 17),)),
    ("Ende März", (date(2026, 3, 31),)),
    ("bis Ende März", (date(2026, 3, 31),)),
    ("Anfang April", (date(2026, 4, 1),)),
    ("Ende des Monats", (date(2026, 3, 31),)),
    ("KW 12", (date(2026, 3, 16),)),
    ("15.3.", (date(2026, 3, 15),)),
    ("15. März", (date(2026, 3, 15),)),
    ("3.4.", (date(2026, 4, 3),)),
    ("15.03.2027", (date(2027, 3, 15),)),
    ("03.04.2027", (date(2027, 4, 3),)),
    ("31.12.", (date(2026, 12, 31),)),
    ("1. Mai", (date(2026, 5, 1),)),
]
TABLE_MOMENTS: list[tuple[str, datetime]] = [
    ("morgen um 18 Uhr", datetime(2026, 3, 12, 18, 0, tzinfo=BERLIN)),
    ("morgen 18:00", datetime(2026, 3, 12, 18, 0, tzinfo=BERLIN)),
    ("in 3 Stunden", datetime(2026, 3, 11, 13, 0, tzinfo=BERLIN)),
]


@pytest.mark.parametrize(("text", "allowed"), TABLE_DAYS)
def test_table_days(text: str, allowed: tuple[date, ...]) -> None:
    result = parse(text)
    assert result.has_time is False
    assert result.value.date() in allowed
    assert_day(result, result.value.date())


@pytest.mark.parametrize(("text", "expected"), TABLE_MOMENTS)
def test_table_moments(text: str, expected: datetime) -> None:
    assert_moment(parse(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Where the spec allows two answers, pin the one we chose.
        ("nächsten Freitag", date(2026, 3, 20)),  # Friday of next calendar week
        ("bis nächsten Freitag", date(2026, 3, 20)),
        ("nächste Woche", date(2026, 3, 16)),  # Monday of next week
    ],
)
def test_ambiguous_table_choices(text: str, expected: date) -> None:
    assert_day(parse(text), expected)


def _spec_rows() -> list[tuple[str, list[str]]]:
    rows = []
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not re.match(r"\d{4}-\d{2}-\d{2}", cells[1]):
            continue
        for phrase in cells[0].split(" / "):
            rows.append((phrase, cells[1].split(" or ")))
    return rows


@pytest.mark.skipif(not SPEC.exists(), reason="shared spec not available")
def test_every_phrase_of_the_shared_spec() -> None:
    rows = _spec_rows()
    assert len(rows) >= 30
    tested = {text for text, _ in TABLE_DAYS} | {text for text, _ in TABLE_MOMENTS}
    for phrase, answers in rows:
        assert phrase in tested, f"{phrase!r} missing from the table tests"
        result = parse(phrase)
        shown = result.value.strftime("%Y-%m-%d %H:%M" if result.has_time else "%Y-%m-%d")
        assert shown in answers, f"{phrase!r} -> {shown}, expected one of {answers}"


# ------------------------------------------------------------- wording variations


@pytest.mark.parametrize(
    "text",
    [
        "Freitag",
        "freitag",
        "FREITAG",
        "  bis   Freitag  ",
        "bis Freitag!",
        "Freitag.",
        "bis Freitag?!",
        "Fr",
        "Fr.",
        "fr.",
        "am Fr.",
        "zum Freitag",
        "spätestens Freitag",
        "Spaetestens am Freitag",
        "bis spätestens Freitag",
        "fällig: Freitag",
        "kommenden Freitag",
        "diesen Freitag",
        "übermorgen",
        "Uebermorgen",
        "Freitag, 13.3.",
        "Fr, 13.03.2026",
        "Freitag, den 13. März",
    ],
)
def test_variations_of_friday_13th(text: str) -> None:
    assert_day(parse(text), date(2026, 3, 13))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in einem Tag", date(2026, 3, 12)),
        ("in 1 Tag", date(2026, 3, 12)),
        ("in zwei Tagen", date(2026, 3, 13)),
        ("in drei Tagen", date(2026, 3, 14)),
        ("in 3 Tagen", date(2026, 3, 14)),
        ("in vier Tagen", date(2026, 3, 15)),
        ("in fünf Tagen", date(2026, 3, 16)),
        ("in sechs Tagen", date(2026, 3, 17)),
        ("in sieben Tagen", date(2026, 3, 18)),
        ("in acht Tagen", date(2026, 3, 19)),
        ("in neun Tagen", date(2026, 3, 20)),
        ("in zehn Tagen", date(2026, 3, 21)),
        ("in elf Tagen", date(2026, 3, 22)),
        ("in zwölf Tagen", date(2026, 3, 23)),
        ("in 14 Tagen", date(2026, 3, 25)),
        ("binnen 14 Tagen", date(2026, 3, 25)),
        ("innerhalb von zwei Wochen", date(2026, 3, 25)),
        ("heute in einer Woche", date(2026, 3, 18)),
        ("in sechs Wochen", date(2026, 4, 22)),
        ("in eine Woche", date(2026, 3, 18)),
        ("in zwo Wochen", date(2026, 3, 25)),
        ("in zwei Monaten", date(2026, 5, 11)),
        ("in einem Jahr", date(2027, 3, 11)),
        ("in 5 Werktagen", date(2026, 3, 18)),
        ("in 3 Arbeitstagen", date(2026, 3, 16)),
    ],
)
def test_relative_days(text: str, expected: date) -> None:
    assert_day(parse(text), expected)


def test_month_arithmetic_clamps_to_month_end() -> None:
    assert_day(parse("in einem Monat", now=day(2026, 1, 31)), date(2026, 2, 28))
    assert_day(parse("in einem Monat", now=day(2027, 12, 31)), date(2028, 1, 31))


def test_working_days_skip_easter() -> None:
    # Thursday before Easter + 1 working day is the Tuesday after Easter Monday.
    assert_day(parse("in einem Werktag", now=day(2026, 4, 2)), date(2026, 4, 7))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 3 Stunden", datetime(2026, 3, 11, 13, 0)),
        ("in einer Stunde", datetime(2026, 3, 11, 11, 0)),
        ("in 3h", datetime(2026, 3, 11, 13, 0)),
        ("in 2 Std.", datetime(2026, 3, 11, 12, 0)),
        ("in 90 Minuten", datetime(2026, 3, 11, 11, 30)),
        ("in 15 min", datetime(2026, 3, 11, 10, 15)),
        ("in einer halben Stunde", datetime(2026, 3, 11, 10, 30)),
        ("in einer Viertelstunde", datetime(2026, 3, 11, 10, 15)),
        ("in anderthalb Stunden", datetime(2026, 3, 11, 11, 30)),
    ],
)
def test_relative_moments(text: str, expected: datetime) -> None:
    assert_moment(parse(text), expected.replace(tzinfo=BERLIN))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Montag", date(2026, 3, 16)),
        ("Mo", date(2026, 3, 16)),
        ("Dienstag", date(2026, 3, 17)),
        ("Mittwoch", date(2026, 3, 18)),  # today is Wednesday: a bare weekday is next week
        ("diesen Mittwoch", date(2026, 3, 11)),  # ... "diesen" allows today
        ("Donnerstag", date(2026, 3, 12)),
        ("Samstag", date(2026, 3, 14)),
        ("Sonnabend", date(2026, 3, 14)),
        ("Sonntag", date(2026, 3, 15)),
        ("nächsten Montag", date(2026, 3, 16)),
        ("nächster Dienstag", date(2026, 3, 17)),
        ("übernächsten Freitag", date(2026, 3, 27)),
        ("nächste Woche Dienstag", date(2026, 3, 17)),
        ("nächste Woche am Dienstag", date(2026, 3, 17)),
        ("Dienstag nächste Woche", date(2026, 3, 17)),
        ("Dienstag der nächsten Woche", date(2026, 3, 17)),
        ("Dienstag in der nächsten Woche", date(2026, 3, 17)),
        ("Freitag kommende Woche", date(2026, 3, 20)),
        ("übernächste Woche", date(2026, 3, 23)),
        ("Ende der Woche", date(2026, 3, 13)),
        ("Ende dieser Woche", date(2026, 3, 13)),
        ("diese Woche", date(2026, 3, 13)),
        ("Mitte der Woche", date(2026, 3, 11)),
        ("Anfang nächster Woche", date(2026, 3, 16)),
        ("Mitte nächster Woche", date(2026, 3, 18)),
        ("Ende der nächsten Woche", date(2026, 3, 20)),
        ("bis zum Ende nächster Woche", date(2026, 3, 20)),
    ],
)
def test_weekdays_and_weeks(text: str, expected: date) -> None:
    assert_day(parse(text), expected)


def test_end_of_week_on_a_weekend_is_next_friday() -> None:
    assert_day(parse("Ende der Woche", now=day(2026, 3, 14)), date(2026, 3, 20))
    assert_day(parse("Ende der Woche", now=day(2026, 3, 13)), date(2026, 3, 13))


def test_next_weekday_is_always_in_next_calendar_week() -> None:
    sunday = day(2026, 3, 15)
    assert_day(parse("nächsten Montag", now=sunday), date(2026, 3, 16))
    assert_day(parse("Montag", now=sunday), date(2026, 3, 16))
    assert_day(parse("nächsten Sonntag", now=day(2026, 3, 16)), date(2026, 3, 29))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ende März", date(2026, 3, 31)),
        ("Mitte März", date(2026, 3, 15)),
        ("Ende Mär.", date(2026, 3, 31)),
        ("Ende Maerz", date(2026, 3, 31)),
        ("Anfang April", date(2026, 4, 1)),
        ("Mitte April", date(2026, 4, 15)),
        ("Ende Februar", date(2027, 2, 28)),  # February 2026 is over
        ("Ende April 2027", date(2027, 4, 30)),
        ("Ende des Monats", date(2026, 3, 31)),
        ("Ende dieses Monats", date(2026, 3, 31)),
        ("zum Monatsende", date(2026, 3, 31)),
        ("per Ultimo", date(2026, 3, 31)),
        ("Mitte des Monats", date(2026, 3, 15)),
        ("nächsten Monat", date(2026, 4, 1)),
        ("Anfang nächsten Monats", date(2026, 4, 1)),
        ("Ende des nächsten Monats", date(2026, 4, 30)),
        ("Quartalsende", date(2026, 3, 31)),
        ("Ende des Quartals", date(2026, 3, 31)),
        ("Ende Q2", date(2026, 6, 30)),
        ("Ende des 3. Quartals", date(2026, 9, 30)),
        ("Jahresende", date(2026, 12, 31)),
        ("Ende des Jahres", date(2026, 12, 31)),
    ],
)
def test_month_quarter_and_year_parts(text: str, expected: date) -> None:
    assert_day(parse(text), expected)


def test_end_of_month_in_leap_february() -> None:
    assert_day(parse("Ende des Monats", now=day(2028, 2, 10)), date(2028, 2, 29))
    assert_day(parse("Ende Februar", now=day(2027, 3, 1)), date(2028, 2, 29))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KW 12", date(2026, 3, 16)),
        ("KW12", date(2026, 3, 16)),
        ("kw 12", date(2026, 3, 16)),
        ("Kalenderwoche 12", date(2026, 3, 16)),
        ("in der KW 12", date(2026, 3, 16)),
        ("12. KW", date(2026, 3, 16)),
        ("bis zur 12. Kalenderwoche", date(2026, 3, 16)),
        ("KW 53", date(2026, 12, 28)),  # 2026 has 53 ISO weeks
        ("KW 12/2027", date(2027, 3, 22)),
        ("KW 12 2027", date(2027, 3, 22)),
        ("KW 1/27", date(2027, 1, 4)),
        ("KW 11", date(2026, 3, 11)),  # the running week: today, not its Monday
        ("KW 2", date(2027, 1, 11)),  # over: next year's week 2
    ],
)
def test_calendar_weeks(text: str, expected: date) -> None:
    assert_day(parse(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15.3.", date(2026, 3, 15)),
        ("15.3", date(2026, 3, 15)),
        ("15.03.", date(2026, 3, 15)),
        ("am 15.3.", date(2026, 3, 15)),
        ("bis zum 15.3.", date(2026, 3, 15)),
        ("15. März", date(2026, 3, 15)),
        ("15.März", date(2026, 3, 15)),
        ("15 März", date(2026, 3, 15)),
        ("15. Mrz.", date(2026, 3, 15)),
        ("15. Maerz", date(2026, 3, 15)),
        ("15.03.2027", date(2027, 3, 15)),
        ("15.3.27", date(2027, 3, 15)),
        ("15. März 2027", date(2027, 3, 15)),
        ("2027-03-15", date(2027, 3, 15)),
        ("1. Mai", date(2026, 5, 1)),
        ("BIS SPÄTESTENS ZUM 1. MAI.", date(2026, 5, 1)),
        ("Montag, den 16.3.", date(2026, 3, 16)),
        ("11.3.", date(2026, 3, 11)),  # today
        ("3. Okt.", date(2026, 10, 3)),
        ("24. Dez", date(2026, 12, 24)),
    ],
)
def test_absolute_dates(text: str, expected: date) -> None:
    assert_day(parse(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/3", date(2026, 3, 15)),
        ("15 3 2027", date(2027, 3, 15)),
        ("März 15", date(2026, 3, 15)),
        ("1/1", date(2027, 1, 1)),  # rolled over like any day-month date
    ],
)
def test_dateparser_fallback(text: str, expected: date) -> None:
    assert_day(parse(text), expected)


def test_dateparser_fallback_with_time() -> None:
    assert_moment(parse("16.03.2026 14.30"), datetime(2026, 3, 16, 14, 30, tzinfo=BERLIN))


def test_fallback_parser_is_created_once() -> None:
    dates.warm_up()
    assert dates._get_parser() is dates._get_parser()


# ------------------------------------------------------------------------------ times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("morgen um 18 Uhr", datetime(2026, 3, 12, 18, 0)),
        ("morgen 18:00", datetime(2026, 3, 12, 18, 0)),
        ("morgen, 18 Uhr", datetime(2026, 3, 12, 18, 0)),
        ("morgen um 18", datetime(2026, 3, 12, 18, 0)),
        ("morgen 18.30 Uhr", datetime(2026, 3, 12, 18, 30)),
        ("morgen 18 Uhr 30", datetime(2026, 3, 12, 18, 30)),
        ("morgen gegen 9:15", datetime(2026, 3, 12, 9, 15)),
        ("Freitag 14 Uhr", datetime(2026, 3, 13, 14, 0)),
        ("14 Uhr am Freitag", datetime(2026, 3, 13, 14, 0)),
        ("Fr. 14:00", datetime(2026, 3, 13, 14, 0)),
        ("am 15.3. um 10:30", datetime(2026, 3, 15, 10, 30)),
        ("15.3. um 10.30", datetime(2026, 3, 15, 10, 30)),
        ("15.03.2027 10:30", datetime(2027, 3, 15, 10, 30)),
        ("1. Mai 2027 10 Uhr", datetime(2027, 5, 1, 10, 0)),
        ("17. März, 10 Uhr", datetime(2026, 3, 17, 10, 0)),
        ("nächste Woche Dienstag 9 Uhr", datetime(2026, 3, 17, 9, 0)),
        ("in 3 Tagen um 9", datetime(2026, 3, 14, 9, 0)),
        ("Fr, 13.03.2026, 18:00", datetime(2026, 3, 13, 18, 0)),  # format_date output
        ("heute 18 Uhr", datetime(2026, 3, 11, 18, 0)),
        ("heute 10:00", datetime(2026, 3, 11, 10, 0)),  # exactly now is not past
        ("um 18 Uhr", datetime(2026, 3, 11, 18, 0)),  # a bare time: its next occurrence
        ("18:00", datetime(2026, 3, 11, 18, 0)),
        ("um 9 Uhr", datetime(2026, 3, 12, 9, 0)),  # 09:00 has passed: tomorrow
        ("0:00", datetime(2026, 3, 12, 0, 0)),
    ],
)
def test_times(text: str, expected: datetime) -> None:
    assert_moment(parse(text), expected.replace(tzinfo=BERLIN))


# ------------------------------------------------------------------------ DST, zones


def test_dst_spring_forward() -> None:
    saturday = datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN)
    result = parse("morgen um 18 Uhr", now=saturday)
    assert_moment(result, datetime(2026, 3, 29, 18, 0, tzinfo=BERLIN))
    assert result.value.utcoffset() == timedelta(hours=2)
    assert result.value.astimezone(UTC) == datetime(2026, 3, 29, 16, 0, tzinfo=UTC)


def test_dst_spring_forward_day_only_and_elapsed_hours() -> None:
    saturday = datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN)
    morning = parse("morgen", now=saturday)
    assert_day(morning, date(2026, 3, 29))
    assert morning.value.utcoffset() == timedelta(hours=1)  # midnight is before the switch
    # 24 elapsed hours, one of them skipped on the clock.
    later = parse("in 24 Stunden", now=saturday)
    assert later.value == datetime(2026, 3, 29, 11, 0, tzinfo=BERLIN)
    # Same-tzinfo subtraction would compare wall clocks (25 h), so compare in UTC.
    assert later.value.astimezone(UTC) - saturday.astimezone(UTC) == timedelta(hours=24)


def test_dst_gap_time_moves_forward() -> None:
    saturday = datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN)
    result = parse("morgen 2:30", now=saturday)  # 02:30 does not exist that night
    assert_moment(result, datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN))


def test_dst_fall_back() -> None:
    saturday = datetime(2026, 10, 24, 10, 0, tzinfo=BERLIN)
    result = parse("morgen um 18 Uhr", now=saturday)
    assert_moment(result, datetime(2026, 10, 25, 18, 0, tzinfo=BERLIN))
    assert result.value.utcoffset() == timedelta(hours=1)


def test_now_in_utc_is_converted_to_local_day() -> None:
    # 23:30 UTC is already Thursday 00:30 in Berlin.
    late = datetime(2026, 3, 11, 23, 30, tzinfo=UTC)
    assert_day(parse("morgen", now=late), date(2026, 3, 13))
    assert_day(parse("heute", now=late), date(2026, 3, 12))
    # Bot clocks hand out UTC; 09:00 UTC is 10:00 in Berlin.
    assert_moment(
        parse("morgen um 18 Uhr", now=datetime(2026, 3, 11, 9, 0, tzinfo=UTC)),
        datetime(2026, 3, 12, 18, 0, tzinfo=BERLIN),
    )


def test_naive_now_is_local_time() -> None:
    assert_moment(
        parse("in 3 Stunden", now=datetime(2026, 3, 11, 10, 0)),
        datetime(2026, 3, 11, 13, 0, tzinfo=BERLIN),
    )


# ----------------------------------------------------------------- year roll-over


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("1.1.", NOW, date(2027, 1, 1)),
        ("10.3.", NOW, date(2027, 3, 10)),  # yesterday -> next year
        ("11.3.", NOW, date(2026, 3, 11)),  # today stays
        ("1. Januar", NOW, date(2027, 1, 1)),
        ("Anfang März", NOW, date(2027, 3, 1)),
        ("2.1.", day(2026, 12, 30), date(2027, 1, 2)),
        ("KW 1", day(2026, 12, 30), date(2027, 1, 4)),
        ("morgen", day(2026, 12, 31), date(2027, 1, 1)),
        ("29.2.", day(2027, 3, 1), date(2028, 2, 29)),
        ("29.2.", day(2028, 1, 10), date(2028, 2, 29)),
    ],
)
def test_year_roll_over(text: str, now: datetime, expected: date) -> None:
    assert_day(parse(text, now=now), expected)


# ------------------------------------------------------------------------------- past


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("gestern", day(2026, 3, 10)),
        ("vorgestern", day(2026, 3, 9)),
        ("1.1.2020", day(2020, 1, 1)),
        ("10.03.2026", day(2026, 3, 10)),
        ("vor 3 Tagen", day(2026, 3, 8)),
        ("letzten Freitag", day(2026, 3, 6)),
        ("KW 3/2026", day(2026, 1, 12)),
        ("heute 9 Uhr", datetime(2026, 3, 11, 9, 0, tzinfo=BERLIN)),
        ("heute 9:59", datetime(2026, 3, 11, 9, 59, tzinfo=BERLIN)),
        ("vor 2 Stunden", datetime(2026, 3, 11, 8, 0, tzinfo=BERLIN)),
        ("Anfang des Monats", day(2026, 3, 1)),
    ],
)
def test_past_is_refused(text: str, meant: datetime) -> None:
    with pytest.raises(DateParseError) as info:
        parse(text)
    assert info.value.reason == "past"
    assert info.value.value == meant
    assert isinstance(info.value, ValueError)
    # ... and accepted when the caller allows it.
    assert parse(text, allow_past=True).value == meant


def test_today_without_time_is_not_past() -> None:
    late = datetime(2026, 3, 11, 23, 59, tzinfo=BERLIN)
    assert_day(parse("heute", now=late), date(2026, 3, 11))
    assert_day(parse("11.3.", now=late), date(2026, 3, 11))


# ------------------------------------------------------------------ nonsense, invalid


@pytest.mark.parametrize(
    "text",
    [
        "irgendwann",
        "asdf",
        "bald",
        "bis",
        "am",
        "...",
        "in ein paar Tagen",
        "morgen früh",  # a part of the day is too vague for a meeting time
        "März",
        "2027",
        "14",
        "31.2.",
        "30.2.2027",
        "29.2.2027",
        "29.2.",  # no 29 February this year or next
        "32.1.",
        "1.13.",
        "0.0.",
        "2026-02-30",
        "KW 54",
        "KW 0",
        "KW 53/2027",
        "um 24 Uhr",
        "25:00",
        "morgen 18:60",
        "morgen 18 Uhr 19 Uhr",
        "in 3 Stunden um 18 Uhr",
        "in 9999 Jahren",
        "Freitag Montag",
    ],
)
def test_unparseable(text: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse(text)
    assert info.value.reason == "unparseable"
    assert info.value.text == text
    assert info.value.value is None


@pytest.mark.parametrize("text", ["", " ", "\n\t "])
def test_empty(text: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse(text)
    assert info.value.reason == "empty"


@pytest.mark.parametrize("text", HINT_EXAMPLES)
def test_hint_examples_parse(text: str) -> None:
    assert parse(text).value >= day(2026, 3, 11)


# ------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "lang", "with_time", "expected"),
    [
        (day(2026, 3, 13), "de", None, "Fr, 13.03.2026"),
        (datetime(2026, 3, 12, 18, 0, tzinfo=BERLIN), "de", None, "Do, 12.03.2026, 18:00"),
        (day(2026, 3, 13), "en", None, "Fri, 13 Mar 2026"),
        (datetime(2026, 3, 12, 18, 0, tzinfo=BERLIN), "en", None, "Thu, 12 Mar 2026, 18:00"),
        (day(2026, 3, 1), "en", None, "Sun, 1 Mar 2026"),
        (day(2026, 3, 1), "de", None, "So, 01.03.2026"),
        (day(2026, 3, 16), "de", True, "Mo, 16.03.2026, 00:00"),  # a midnight meeting
        (datetime(2026, 3, 17, 9, 5, tzinfo=BERLIN), "de", False, "Di, 17.03.2026"),
        (datetime(2026, 3, 18, 7, 30), "de", None, "Mi, 18.03.2026, 07:30"),  # naive is fine
        (datetime(2026, 12, 26, 23, 59, tzinfo=BERLIN), "en-GB", None, "Sat, 26 Dec 2026, 23:59"),
        (date(2026, 5, 1), "de", None, "Fr, 01.05.2026"),  # a plain date
        (date(2026, 5, 1), "de", True, "Fr, 01.05.2026"),  # ... has no time to show
        (day(2026, 3, 13), "uk", None, "пт, 13 бер. 2026\u202fр."),  # CLDR's own form
        (day(2026, 3, 13), "xx", None, "Fr, 13.03.2026"),  # unknown language -> German
    ],
)
def test_format_date(value: datetime, lang: str, with_time: bool | None, expected: str) -> None:
    assert format_date(value, lang=lang, with_time=with_time) == expected


def test_format_date_all_weekdays_and_months() -> None:
    de = [format_date(day(2026, 3, 16) + timedelta(days=i)) for i in range(7)]
    assert [text[:2] for text in de] == ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
    en = [format_date(day(2026, month, 1), lang="en").split()[2] for month in range(1, 13)]
    assert en == "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def test_format_date_uses_the_values_own_zone() -> None:
    value = datetime(2026, 3, 12, 17, 0, tzinfo=UTC)
    assert format_date(value) == "Do, 12.03.2026, 17:00"
    assert format_date(value.astimezone(BERLIN)) == "Do, 12.03.2026, 18:00"


def test_format_parsed_follows_has_time() -> None:
    assert format_parsed(parse("morgen")) == "Do, 12.03.2026"
    assert format_parsed(parse("morgen um 18 Uhr")) == "Do, 12.03.2026, 18:00"
    assert format_parsed(parse("morgen 0:00")) == "Do, 12.03.2026, 00:00"
    assert format_parsed(parse("1. Mai"), lang="en") == "Fri, 1 May 2026"


@given(
    offset=st.integers(min_value=0, max_value=3 * 366),
    minutes=st.one_of(st.none(), st.integers(min_value=0, max_value=24 * 60 - 1)),
)
def test_format_date_round_trips(offset: int, minutes: int | None) -> None:
    target = NOW.date() + timedelta(days=offset)
    if minutes is None:
        result = parse(format_date(day(target.year, target.month, target.day)))
        assert_day(result, target)
        return
    moment = datetime(target.year, target.month, target.day, tzinfo=BERLIN) + timedelta(
        minutes=minutes
    )
    moment = moment.astimezone(UTC).astimezone(BERLIN)
    if moment < NOW:
        return
    result = parse(format_date(moment, with_time=True))
    assert result.has_time is True
    assert result.value == moment


# ----------------------------------------------------------------------------- module


def test_module_does_not_import_telegram() -> None:
    code = (
        "import sys, bot.services.basics.dates, bot.services.basics.workdays; "
        "assert not any(m == 'telegram' or m.startswith('telegram.') for m in sys.modules)"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
