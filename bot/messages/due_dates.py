"""Due dates in words: read back for confirmation (a weekend or a public holiday of Lower
Saxony is asked about: "Das ist ein Sonntag – trotzdem?"; `day_off` comes from
`bot.services.agreements.rules.day_off`), and in reminders, where the words come from the
real due date and the day the reminder is read ("heute", "morgen", "in 3 Tagen",
"war am Sonntag, 31.01., fällig"), never from the reminder's slot."""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_date
from babel.dates import format_skeleton

from bot.i18n import N_, Translator
from bot.messages.formatting import format_date

# "Sonntag, 31.01." / "Sunday, 31 January": the weekday in full, the day without the year
_DAY_PATTERNS = {"de": "cccc, dd.MM.", "en": "EEEE, d MMMM"}


def weekday_and_day(day: date, *, lang: str) -> str:
    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):  # e.g. the tests' pseudo-locale
        locale = Locale.parse("de")
    pattern = _DAY_PATTERNS.get(locale.language)
    if pattern is not None:
        return babel_date(day, pattern, locale=locale)
    return format_skeleton("MMMMEEEEd", day, locale=locale)


def agreement_due(t: Translator, due: date, read_on: date) -> str:
    """The head of a rep's nudge, from the due date and the day it is read."""
    days = (due - read_on).days
    if days == 0:
        return t("Reminder: this agreement is due today.")
    if days == 1:
        return t("Reminder: this agreement is due tomorrow.")
    if days > 1:
        return t.plural(
            "Reminder: this agreement is due in {count} day.",
            "Reminder: this agreement is due in {count} days.",
            days,
        )
    return t(
        "Reminder: this agreement was due on {day}.",
        day=weekday_and_day(due, lang=t.language),
    )


DAY_OFF_QUESTIONS = {
    "sunday": N_("Due on {date}. That is a Sunday – keep it anyway?"),
    "saturday": N_("Due on {date}. That is a Saturday – keep it anyway?"),
    "holiday": N_("Due on {date}. That is a public holiday – keep it anyway?"),
}
NEW_DATE_OFF = {
    "sunday": N_("New date: {date}. That is a Sunday – keep it anyway?"),
    "saturday": N_("New date: {date}. That is a Saturday – keep it anyway?"),
    "holiday": N_("New date: {date}. That is a public holiday – keep it anyway?"),
}


def due_question(t: Translator, due: datetime, day_off: str | None) -> str:
    """A due date read back; a weekend or holiday is asked about."""
    question = DAY_OFF_QUESTIONS.get(day_off or "", N_("Due on {date} – is that right?"))
    return t(question, date=format_date(due, lang=t.language))


def new_date_question(t: Translator, when: datetime, day_off: str | None) -> str:
    """A changed due date (more time, a new date) read back, the same way."""
    question = NEW_DATE_OFF.get(day_off or "", N_("New date: {date} – is that right?"))
    return t(question, date=format_date(when, lang=t.language))
