"""The words of the report's charts and files (PDF, XLSX, CSV) in the reader's language, and
the forms of its numbers and dates (Babel). The services draw and tabulate; they read every
word from the `ReportLabels` built here."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_date
from babel.dates import format_time

from bot.i18n import N_, Translator
from bot.messages.formatting import format_number, format_share
from bot.messages.reference import topic_label_of
from bot.services.basics.periods import Period
from bot.services.basics.reference import ReferenceData
from bot.services.reporting.figures import Figures
from bot.services.reporting.labels import ReportLabels

TEXTS: dict[str, str] = {
    "chart.months": N_("Concerns per month by field of action"),
    "chart.departments": N_("Agreements by department"),
    "chart.districts": N_("Concerns per district"),
    "axis.concerns": N_("Concerns"),
    "axis.agreements_due": N_("Agreements (due in the period)"),
    "other_topics": N_("Other topics"),
    "no_data": N_("No data in the period"),
    "sender.resident": N_("Residents"),
    "sender.actor": N_("Actors"),
    "sender.council": N_("District council"),
    "series.on_time": N_("Done on time"),
    "series.late": N_("Done late"),
    "series.overdue": N_("Open, overdue"),
    "series.pending": N_("Open, not yet due"),
    "district": N_("District {name}"),
    "districts": N_("Districts: {count}"),  # no plural: a label of a table cell's kind
    "department": N_("Dept. {number}"),
    # the metrics, one per row of the overview
    "m.received": N_("Concerns received"),
    "m.residents": N_("from residents"),
    "m.actors": N_("from actors"),
    "m.council": N_("from the district council"),
    "m.lotse": N_("Lotse (referred)"),
    "m.kuemmerer": N_("Kümmerer (taken on)"),
    "m.lotse_share": N_("Share Lotse"),
    "m.kuemmerer_share": N_("Share Kümmerer"),
    "m.helped": N_("Lotse: the contact helped"),
    "m.not_helped": N_("Lotse: the contact did not help"),
    "m.first_median": N_("First response, median (WD)"),
    "m.first_p90": N_("First response, 90 % (WD)"),
    "m.resolution_median": N_("Resolution, median (WD)"),
    "m.resolution_p90": N_("Resolution, 90 % (WD)"),
    "m.open": N_("Open (at report time)"),
    "m.open_age": N_("Open: median age (WD)"),
    "m.open_oldest": N_("Open: oldest (WD)"),
    "m.reopened": N_("Reopened"),
    "m.reopened_share": N_("Share reopened"),
    "m.settled_yes": N_("“Settled?” yes"),
    "m.settled_no": N_("“Settled?” no"),
    "m.settled_none": N_("“Settled?” no answer"),
    "m.agreements_due": N_("Agreements due"),
    "m.on_time": N_("done on time"),
    "m.late": N_("done late"),
    "m.agreements_open": N_("still open"),
    "m.overdue": N_("of which overdue"),
    "m.escalated": N_("escalated"),
    "m.kept": N_("On-time rate"),
    "m.conferences": N_("Conferences held"),
    "m.planned": N_("Conferences planned"),
    "m.projects": N_("Projects"),
    "m.meetings": N_("Meetings attended"),
    # the agreement columns of the XLSX and CSV, and their short forms in the PDF
    "a.due": N_("Due"),
    "a.on_time": N_("Done on time"),
    "a.late": N_("Done late"),
    "a.open": N_("Open (agreements)"),
    "a.overdue": N_("of which overdue"),
    "a.escalated": N_("Escalated"),
    "a.cancelled": N_("Cancelled"),
    "pdf.due": N_("Due"),
    "pdf.on_time": N_("On time (short)"),
    "pdf.late": N_("Late (short)"),
    "pdf.open": N_("Open (agreements)"),
    "pdf.overdue": N_("Overdue (short)"),
    "pdf.escalated": N_("Escalated (short)"),
    # sheets, headings and the files' own words
    "sheet.overview": N_("Overview"),
    "sheet.topics": N_("Fields of action"),
    "sheet.months": N_("Months"),
    "sheet.quarters": N_("Quarters"),
    "sheet.agreements": N_("Agreements"),
    "sheet.conferences": N_("Conferences"),
    "sheet.projects": N_("Projects"),
    "h.district": N_("District"),
    "h.topic": N_("Field of action"),
    "h.concerns": N_("Concerns"),
    "h.month": N_("Month"),
    "h.quarter": N_("Quarter"),
    "h.department": N_("Department"),
    "h.year": N_("Year"),
    "h.held": N_("Held"),
    "h.target": N_("Target"),
    "h.assessment": N_("Assessment"),
    "h.projects": N_("Projects"),
    "h.conferences": N_("Conferences"),
    "h.kept": N_("On-time rate"),
    "h.indicator": N_("Indicator"),
    "h.value": N_("Value"),
    "total": N_("Total"),
    "no_quarter": N_("(not given)"),
    "rule.met": N_("met"),
    "rule.open": N_("still possible"),
    "rule.missed": N_("missed"),
    "rule.not_met": N_("not met"),
    "no_answers": N_("no answers yet"),
    "sheet.status": N_("Status"),
    "h.status": N_("Status"),
    "h.planned": N_("Planned"),
    "status.new": N_("new"),
    "status.in_progress": N_("in progress"),
    "status.waiting": N_("waiting"),
    "status.referred": N_("referred"),
    "status.resolved": N_("resolved"),
    "status.merged": N_("merged"),
    "csv.table": N_("Table"),
    "csv.group": N_("Group"),
    "csv.measure": N_("Characteristic"),
    "pdf.title": N_("District management report"),
    "pdf.made": N_("as of {moment}"),
    "pdf.document": N_("District report {period}"),
    "pdf.note": N_(
        "Pseudonymised: without names, contact details, Telegram ids and free texts of "
        "residents. Durations in working days (WD, Lower Saxony); the day of receipt does not "
        "count. 90 %: rank percentile."
    ),
}


@lru_cache(maxsize=32)
def _locale(lang: str) -> Locale:
    """The reader's CLDR locale; German for a language CLDR does not know (as formatting)."""
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):  # e.g. the tests' pseudo-locale
        return Locale.parse("de")


def _day(value: date, lang: str) -> str:
    return babel_date(value, "medium", locale=_locale(lang))


def period_label(t: Translator, period: Period) -> str:
    """ "2. Quartal 2026" / "Q2 2026", "März 2026" / "March 2026", or the days it spans."""
    year, month = period.first.year, period.first.month
    if period.kind == "year":
        return str(year)
    if period.kind == "half":
        return t("H{half} {year}", half=1 if month == 1 else 2, year=year)
    if period.kind == "quarter":
        return t("Q{quarter} {year}", quarter=(month - 1) // 3 + 1, year=year)
    if period.kind == "month":
        return babel_date(period.first, "LLLL y", locale=_locale(t.language))
    return period_range(t, period)


def period_range(t: Translator, period: Period) -> str:
    return f"{_day(period.first, t.language)}–{_day(period.last, t.language)}"


def report_labels(t: Translator, figures: Figures, reference: ReferenceData) -> ReportLabels:
    """Every word and number form of one report's charts and files, for the reader."""
    lang, made = t.language, figures.now.astimezone(figures.period.tz)
    locale = _locale(lang)

    def topic(code: str) -> str:
        return topic_label_of(t, reference, code)

    return ReportLabels(
        text={key: t(message) for key, message in TEXTS.items()},
        period=period_label(t, figures.period),
        period_range=period_range(t, figures.period),
        made=f"{_day(made.date(), lang)} {format_time(made, 'HH:mm', locale=locale)}",
        month=lambda key: babel_date(date.fromisoformat(key + "-01"), "LLL yy", locale=locale),
        topic=topic,
        number=lambda value: format_number(value, lang=lang, digits=2),
        share=lambda value: format_share(value, lang=lang, digits=1),
        days=lambda value: working_days(t, value),
    )


def working_days(t: Translator, value: float) -> str:
    """A duration with its unit: "1 Arbeitstag", "2,5 Arbeitstage"."""
    number = format_number(value, lang=t.language, digits=2)
    # a fraction takes the form of its whole part's "many" neighbour: 2,5 → the form of 5
    count = int(value) if float(value).is_integer() else 5
    return t.plural("{n} working day", "{n} working days", count, n=number)
