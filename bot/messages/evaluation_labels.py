"""Every word and table of the evaluation report's files (PDF, DOCX) in the reader's
language, made from the figures: the services lay them out (`EvaluationText`)."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date as babel_date

from bot.i18n import N_, Translator
from bot.messages.evaluation import (
    FIGURE_NAMES,
    assessment_text,
    change_text,
    figure_value,
    score_text,
    summary_sentences,
)
from bot.messages.formatting import format_number, format_share
from bot.messages.reference import topic_label_of
from bot.messages.report_labels import _locale, period_label, period_range
from bot.services.basics.reference import ReferenceData
from bot.services.reporting.evaluation import Evaluation
from bot.services.reporting.evaluation_measures import (
    KINDS,
    OVERVIEW,
    conference_rows,
    key_figures,
    monthly,
    overview,
)
from bot.services.reporting.evaluation_text import EvaluationText

TEXTS = {
    "title": N_("Evaluation of the district management"),
    "subtitle": N_("{period} ({range}) · {scope} · as of {made}"),
    "note": N_(
        "Pseudonymised: counts only, without names, contact details, Telegram ids or "
        "residents' texts (sentences only where the resident agreed to be quoted, without "
        "name). Durations in working days (Lower Saxony). Outliers: outside 1.5 times the "
        "interquartile range of the districts."
    ),
    "document": N_("Evaluation {period}"),
    "h.summary": N_("Summary"),
    "h.key": N_("Key figures, targets and trends"),
    "h.overview": N_("The districts side by side"),
    "h.overview_note": N_("▲ / ▼: unusually high / low compared with the other districts"),
    "h.trends": N_("Monthly trends"),
    "h.lotse": N_("Lotse outcomes"),
    "h.agreements": N_("Agreements between departments"),
    "h.conferences": N_("Conferences and projects (the concept's rules)"),
    "h.verdict": N_("The residents' verdict"),
    "h.quotes": N_("Residents' sentences (quoted with their consent)"),
    "no_quotes": N_("No sentence may be quoted."),
    "outlier_note": N_("Hatched bars: outliers"),
    "chart.overview": N_("The districts side by side"),
    "chart.trends": N_("Monthly trends over {count} months"),
    "chart.scores": N_("Answers by score"),
    "axis.month": N_("Month"),
    "series.outlier": N_("Outlier"),
    "series.district": N_("District"),
    "series.target": N_("Target"),
    "m.cases": N_("Concerns"),
    "m.kuemmerer": N_("Share Kümmerer"),
    "m.first_response": N_("First response in time"),
    "m.kept": N_("Agreements on time"),
    "m.satisfaction": N_("Satisfaction (1–5)"),
    "m.conferences_held": N_("Conferences held"),
    "m.conferences": N_("Districts with enough conferences"),
    "m.helped": N_("Lotse: the contact helped"),
}
MODES = {"lotse": N_("Lotse (referred)"), "kuemmerer": N_("Kümmerer (taken on)"),
         "": N_("not triaged")}  # fmt: skip
DEPARTMENT_COLUMNS = (("due", N_("Due")), ("on_time", N_("On time")), ("late", N_("Late")),
                      ("overdue", N_("Overdue")), ("open", N_("Not yet due")),
                      ("escalated", N_("Escalated")))  # fmt: skip


def _before_head(t: Translator, ev: Evaluation) -> str:
    return t("Previous year") if ev.period.kind == "year" else t("Same period last year")


def _key_table(t: Translator, ev: Evaluation) -> list[list[str]]:
    rows = [[t("Figure"), period_label(t, ev.period), t("Target"), t("Assessment"),
             t("Previous period"), t("Change"), _before_head(t, ev), t("Change")]]  # fmt: skip
    for f in key_figures(ev):
        rows.append([
            t(FIGURE_NAMES[f.key]), figure_value(t, f.kind, f.value),
            figure_value(t, f.kind, f.target) if f.target is not None else "–",
            assessment_text(t, f.value, f.target), figure_value(t, f.kind, f.previous),
            change_text(t, f, f.previous), figure_value(t, f.kind, f.year_before),
            change_text(t, f, f.year_before),
        ])  # fmt: skip
    return rows


def _overview_table(t: Translator, ev: Evaluation, reference: ReferenceData) -> list[list[str]]:
    kinds = {**KINDS, "conferences_held": "n"}
    rows = [[t("District"), *(t(FIGURE_NAMES[k]) for k in OVERVIEW)]]
    for r in overview(ev):
        cells = []
        for k in OVERVIEW:
            mark = {"high": " ▲", "low": " ▼"}.get(r.outliers.get(k, ""), "")
            cells.append(figure_value(t, kinds[k], r.values[k]) + mark)
        rows.append([_district(reference, r.district), *cells])
    return rows


def _district(reference: ReferenceData, number: str) -> str:
    if reference.has_district(number):
        return f"{number} {reference.district(number).name}"
    return number


def _departments(t: Translator, ev: Evaluation, reference: ReferenceData) -> list[list[str]]:
    rows = [[t("Department"), *(t(label) for _, label in DEPARTMENT_COLUMNS), t("On-time rate")]]
    for dep in sorted(ev.departments, key=lambda x: x.zfill(4)):
        c = ev.departments[dep]
        name = t("Dept. {number}", number=dep)  # short: the table has seven columns
        judged = c["on_time"] + c["late"] + c["overdue"]
        rate = format_share(c["on_time"] / judged, lang=t.language) if judged else "–"
        rows.append([name, *(_n(t, c[k]) for k, _ in DEPARTMENT_COLUMNS), rate])
    return rows


def _n(t: Translator, value: float) -> str:
    return format_number(value, lang=t.language, digits=0)


def _conferences(t: Translator, ev: Evaluation, reference: ReferenceData) -> list[list[str]]:
    rows = [[t("District"), t("Conferences held"), t("Required"), t("Assessment"),
             t("Projects"), t("Required"), t("Assessment")]]  # fmt: skip
    rule = {"met": t("met"), "missed": t("missed")}
    for d, held, needed, kept, projects, wanted, done in conference_rows(ev):
        rows.append([_district(reference, d), _n(t, held), _n(t, needed), rule[kept],
                     _n(t, projects), _n(t, wanted), rule[done]])  # fmt: skip
    return rows


def _average(t: Translator, n: int, total: int) -> str:
    return score_text(t, total / n) if n else "–"


def _verdict_tables(
    t: Translator, ev: Evaluation, reference: ReferenceData
) -> dict[str, list[list[str]]]:
    v = ev.verdicts
    scores = [[t("Score"), t("Answers")]] + [[str(s), _n(t, v.by_score[s])] for s in range(1, 6)]
    scores.append([t("Asked"), _n(t, v.asked)])
    scores.append([t("With a sentence"), _n(t, v.reasons)])
    head = [t("Answers"), t("Average")]
    topics = [[t("Field of action"), *head]] + [
        [topic_label_of(t, reference, k), _n(t, n), _average(t, n, s)]
        for k, (n, s) in sorted(v.grouped(1).items())
    ]
    modes = [[t("Way of handling"), *head]] + [
        [t(MODES.get(k, MODES[""])), _n(t, n), _average(t, n, s)]
        for k, (n, s) in sorted(v.grouped(2).items())
    ]
    return {"verdict_scores": scores, "verdict_topics": topics, "verdict_modes": modes}


def _lotse(t: Translator, ev: Evaluation) -> list[list[str]]:
    r = ev.total(ev.period)
    answered = r.helped_yes + r.helped_no
    rate = format_share(r.helped_yes / answered, lang=t.language) if answered else "–"
    return [
        [t("Figure"), t("Value")],
        [t("Referred (Lotse)"), _n(t, r.lotse)],
        [t("Answers to “did it help?”"), _n(t, answered)],
        [t("The contact helped"), _n(t, r.helped_yes)],
        [t("The contact did not help"), _n(t, r.helped_no)],
        [t("Share helped"), rate],
    ]


def _month(t: Translator, key: str) -> str:
    """ "2026-03" -> "März 2026" in the reader's language."""
    return babel_date(date.fromisoformat(key + "-01"), "LLLL y", locale=_locale(t.language))


def _alt(t: Translator, ev: Evaluation, reference: ReferenceData) -> dict[str, str]:
    """Text alternatives of the charts: what each shows, and its extremes."""
    parts = []
    rows = overview(ev)
    kinds = {**KINDS, "conferences_held": "n"}
    for k in OVERVIEW:
        present = [(r.values[k], r.district) for r in rows if r.values[k] is not None]
        if not present:
            continue
        low, high = min(present), max(present)
        parts.append(t("{figure}: highest {high} ({high_value}), lowest {low} ({low_value})",
                       figure=t(FIGURE_NAMES[k]), high=_district(reference, high[1]),
                       high_value=figure_value(t, kinds[k], high[0]),
                       low=_district(reference, low[1]),
                       low_value=figure_value(t, kinds[k], low[0])))  # fmt: skip
    trend = []
    for k in ("cases", "first_response", "kept", "satisfaction"):
        values = [(m, x) for m, x in zip(ev.series, monthly(ev, k), strict=True) if x is not None]
        if values:
            (first_key, first), (last_key, last) = values[0], values[-1]
            trend.append(t("{figure} from {first} ({first_month}) to {last} ({last_month})",
                           figure=t(FIGURE_NAMES[k]), first=figure_value(t, KINDS[k], first),
                           first_month=_month(t, first_key),
                           last=figure_value(t, KINDS[k], last),
                           last_month=_month(t, last_key)))  # fmt: skip
    v = ev.verdicts
    scores = ", ".join(f"{s}: {v.by_score[s]}" for s in range(1, 6))
    return {
        "overview": t("Bar charts, one per figure, of the districts side by side. ")
        + "; ".join(parts),
        "trends": t("Line charts of the monthly figures. ") + "; ".join(trend),
        "scores": t("Bar chart of the answers by score (1 to 5): {scores}", scores=scores),
    }


def evaluation_text(t: Translator, ev: Evaluation, reference: ReferenceData) -> EvaluationText:
    locale = _locale(t.language)
    made = ev.now.astimezone(ev.period.tz)
    scope = (
        _district(reference, ev.districts[0])
        if len(ev.districts) == 1
        else t.plural("{count} district", "{count} districts", len(ev.districts))
    )
    text = {key: t(message) for key, message in TEXTS.items()}
    text["subtitle"] = t(TEXTS["subtitle"], period=period_label(t, ev.period),
                         range=period_range(t, ev.period), scope=scope,
                         made=babel_date(made.date(), "medium", locale=locale))  # fmt: skip
    text["document"] = t(TEXTS["document"], period=period_label(t, ev.period))
    text["chart.trends"] = t(TEXTS["chart.trends"], count=len(ev.series))
    tables = {
        "key": _key_table(t, ev),
        "overview": _overview_table(t, ev, reference),
        "lotse": _lotse(t, ev),
        "departments": _departments(t, ev, reference),
        "conferences": _conferences(t, ev, reference),
        **_verdict_tables(t, ev, reference),
    }
    return EvaluationText(
        text=text,
        sentences=summary_sentences(t, ev),
        tables=tables,
        alt=_alt(t, ev, reference),
        month=lambda key: babel_date(date.fromisoformat(key + "-01"), "LLL yy", locale=locale),
        district=lambda d: reference.district(d).name if reference.has_district(d) else d,
        number=lambda value: format_number(value, lang=t.language, digits=1),
        share=lambda value: format_share(value, lang=t.language),
    )
