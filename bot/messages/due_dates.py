"""Due dates read back for confirmation: a weekend or a public holiday of Lower Saxony is
asked about ("Das ist ein Sonntag – trotzdem?"). `day_off` comes from the service
(`bot.services.agreements.rules.day_off`)."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import N_, Translator
from bot.messages.formatting import format_date

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
