"""The evaluation report's words: the executive summary in plain sentences generated from the
figures, and every heading and label of its PDF and DOCX, in the reader's language (German
for German readers: the sentences are catalogue entries). Numbers and percentages are
written by Babel for the reader's locale."""

from __future__ import annotations

from html import escape

from babel.numbers import format_decimal

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.formatting import format_number, format_share
from bot.messages.reply import Button, Reply, rows
from bot.messages.report_labels import _locale, period_label
from bot.services.reporting.evaluation import Evaluation
from bot.services.reporting.evaluation_measures import (
    KeyFigure,
    conferences_needed,
    districts_meeting,
    key_figures,
)
from bot.services.reporting.targets import assess

FIGURE_NAMES = {
    "cases": N_("Concerns received"),
    "kuemmerer": N_("Share Kümmerer"),
    "first_response": N_("First response in time"),
    "kept": N_("Agreements kept on time"),
    "conferences": N_("Districts with enough conferences"),
    "satisfaction": N_("Residents' satisfaction (1–5)"),
    "helped": N_("Lotse: the contact helped"),
    "conferences_held": N_("Conferences held"),
}


def share_text(t: Translator, value: float) -> str:
    return format_share(value, lang=t.language)


def score_text(t: Translator, value: float) -> str:
    """An average score always with one decimal: "4,0", not "4"."""
    return format_decimal(round(value, 1), format="#,##0.0", locale=_locale(t.language))


def figure_value(t: Translator, kind: str, value: float | None) -> str:
    if value is None:
        return "–"
    if kind == "share":
        return share_text(t, value)
    if kind == "score":
        return score_text(t, value)
    return format_number(value, lang=t.language, digits=0)


def change_text(t: Translator, figure: KeyFigure, other: float | None) -> str:
    """+3 Pp. / −0,2 / +12 %: points for shares and the score, per cent for counts; "±" when
    the change rounds to nothing."""
    change = figure.change(other)
    if change is None:
        return "–"
    if figure.kind == "score":
        size = round(abs(change), 1)
        shown = score_text(t, size)
    else:
        size = round(abs(change) * 100)
        shown = format_number(size, lang=t.language, digits=0)
    sign = "±" if not size else "+" if change > 0 else "−"
    if figure.kind == "share":
        return t("{sign}{value} pp", sign=sign, value=shown)
    if figure.kind == "score":
        return sign + shown
    return sign + share_text(t, size / 100)


def _before_label(t: Translator, ev: Evaluation, value: str) -> str:
    if ev.period.kind == "year":
        return t("previous year {value}", value=value)
    return t("same period last year {value}", value=value)


def _comparison(t: Translator, ev: Evaluation, f: KeyFigure, target: str | None) -> str:
    parts = [t("target {target}", target=target)] if target else []
    parts.append(_before_label(t, ev, figure_value(t, f.kind, f.year_before)))
    return ", ".join(parts)


def _verdict(t: Translator, f: KeyFigure) -> str:
    if f.assessment == "met":
        return " " + t("Target met.")
    if f.assessment == "missed":
        return " " + t("Target missed.")
    return ""


def sentence(t: Translator, ev: Evaluation, f: KeyFigure) -> str:
    """One figure as a plain sentence with its target and the year before."""
    if f.value is None:
        return t("{figure}: no data in the period.", figure=t(FIGURE_NAMES[f.key]))
    value = figure_value(t, f.kind, f.value)
    goal = None if f.target is None else figure_value(t, f.kind, f.target)
    # plain names only inside t.plural(...): Babel's extractor loses a plural's second form
    # when its arguments hold calls; {number} is the count in the reader's number format
    plain, against = _comparison(t, ev, f, None), _comparison(t, ev, f, goal)
    period, received, days = (
        period_label(t, ev.period),
        int(f.value),
        ev.targets.first_response_working_days,
    )
    number = format_number(f.value if f.key == "cases" else f.whole, lang=t.language, digits=0)
    if f.key == "cases":
        return t.plural(
            "{number} concern reached the district management in {period} ({comparison}).",
            "{number} concerns reached the district management in {period} ({comparison}).",
            received, number=number, period=period, comparison=plain,
        )  # fmt: skip
    if f.key == "kuemmerer":
        text = t("The district management took on {value} of the triaged concerns itself "
                 "(Kümmerer) and referred the others to a contact (Lotse) ({comparison}).",
                 value=value, comparison=_comparison(t, ev, f, None))  # fmt: skip
    elif f.key == "first_response":
        text = t.plural(
            "The first response came within {count} working day in {value} of the cases "
            "({comparison}).",
            "The first response came within {count} working days in {value} of the cases "
            "({comparison}).",
            days, value=value, comparison=against,
        )  # fmt: skip
    elif f.key == "kept":
        text = t("The departments kept {value} of the agreements due on time ({comparison}).",
                 value=value, comparison=_comparison(t, ev, f, goal))  # fmt: skip
    elif f.key == "conferences":
        met, count = districts_meeting(ev, ev.period)
        before, _ = districts_meeting(ev, ev.year_before)
        needed, before_text = conferences_needed(ev, ev.period), _before_label(t, ev, str(before))
        text = t.plural(
            "{met} of {count} district held at least {needed} district conferences (target: "
            "all districts, {before_text}).",
            "{met} of {count} districts held at least {needed} district conferences (target: "
            "all districts, {before_text}).",
            count, met=met, needed=needed, before_text=before_text,
        )  # fmt: skip
    elif f.key == "satisfaction":
        text = t.plural(
            "The residents rated the handling of their concerns at {value} on average on a "
            "scale from 1 to 5 ({number} answer; {comparison}).",
            "The residents rated the handling of their concerns at {value} on average on a "
            "scale from 1 to 5 ({number} answers; {comparison}).",
            f.whole, number=number, value=value, comparison=against,
        )  # fmt: skip
    else:  # helped
        text = t(
            "Where a contact was given (Lotse), it helped in {value} of the answers "
            "({comparison}).",
            value=value,
            comparison=_comparison(t, ev, f, None),
        )
    return text + _verdict(t, f)


def summary_sentences(t: Translator, ev: Evaluation) -> list[str]:
    """The executive summary: one sentence per key figure, then the targets met."""
    figures = key_figures(ev)
    lines = [sentence(t, ev, f) for f in figures]
    judged = [f for f in figures if f.assessment is not None]
    met = sum(f.assessment == "met" for f in judged)
    if judged:
        lines.append(
            t.plural(
                "{met} of {count} target was met.",
                "{met} of {count} targets were met.",
                len(judged),
                met=met,
            )
        )
    return lines


def chat_summary(t: Translator, ev: Evaluation) -> Reply:
    """/bericht bewertung: the summary in the chat, and the files."""
    head = t("Evaluation {period}", period=period_label(t, ev.period))
    lines = ["<b>" + escape(head) + "</b>", *(escape(s) for s in summary_sentences(t, ev))]
    key = ev.period.key
    files = [Button(t("PDF"), callbacks.EVALUATION.data("pdf", key)),
             Button(t("Word (DOCX)"), callbacks.EVALUATION.data("docx", key))]  # fmt: skip
    return Reply("\n".join(lines), rows(files))


def assessment_text(t: Translator, value: float | None, target: float | None) -> str:
    found = assess(value, target)
    return {"met": t("met"), "missed": t("missed")}.get(found or "", "–")
