"""The Monday digest in the reader's language: a manager's districts, and for the
coordination the counts of all districts side by side."""

from __future__ import annotations

from html import escape

from bot.i18n import Translator
from bot.messages.formatting import format_date
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Reply
from bot.services.basics.reference import ReferenceData
from bot.services.reporting.digest import COUNTS, DistrictWeek, WeeklyDigest

MEASURE_CHARS = 60


def _bold(text: str) -> str:
    return "<b>" + escape(text) + "</b>"


def _district(t: Translator, reference: ReferenceData, w: DistrictWeek, since: str) -> str:
    d = w.district
    name = reference.district(d).name if reference.has_district(d) else d
    lines = [
        t("Concerns: {new} new since {since}, {open} open, {overdue} overdue",
          new=w.new_cases, since=since, open=w.open_cases, overdue=w.overdue_cases),
        t("Agreements: {new} new, {open} open, {overdue} overdue",
          new=w.new_agreements, open=w.open_agreements, overdue=w.overdue_agreements),
    ]  # fmt: skip
    if w.overdue_references:
        shown = ", ".join(w.overdue_references)
        if w.more_references:
            shown += " " + t("and {count} more", count=w.more_references)
        lines.append(t("Overdue concerns: {references}", references=shown))
    if w.late_agreements:
        lines.append(t("Overdue agreements:"))
        for late in w.late_agreements:
            measure = late.measure
            short = measure if len(measure) <= MEASURE_CHARS else measure[:59] + "…"
            day = format_date(late.due, lang=t.language)
            lines.append(t("• Department {department}, due {date}: {measure}",
                           department=late.department, measure=short, date=day))  # fmt: skip
        if w.more_late:
            lines.append(t("and {count} more", count=w.more_late))
    head = _bold(t("Weekly overview {district}", district=name))
    return "\n".join([head, *(escape(line) for line in lines)])


def _numbers(w: DistrictWeek) -> list[int]:
    return [int(getattr(w, name)) for name in COUNTS]


def _counts(t: Translator, label: str, n: list[int]) -> str:
    """ "10 Linden-Limmer: 3 / 4 / 2 · 1 / 3 / 1" (concerns, then agreements)."""
    return t("{label}: {cases_new} / {cases_open} / {cases_overdue} · {agreements_new} / "
             "{agreements_open} / {agreements_overdue}", label=label, cases_new=n[0],
             cases_open=n[1], cases_overdue=n[2], agreements_new=n[3], agreements_open=n[4],
             agreements_overdue=n[5])  # fmt: skip


def _overview(t: Translator, reference: ReferenceData, n: WeeklyDigest, since: str) -> str:
    weeks = {w.district: w for w in n.overview}
    lines = [
        _bold(t("Weekly overview of all districts")),
        escape(t("Since {since}. Concerns new / open / overdue · agreements new / open / "
                 "overdue:", since=since)),
    ]  # fmt: skip
    total = [0] * len(COUNTS)
    for district in reference.districts:
        w = weeks.get(district.number, DistrictWeek(district.number))
        total = [a + b for a, b in zip(total, _numbers(w), strict=True)]
        lines.append(escape(_counts(t, f"{district.number} {district.name}", _numbers(w))))
    lines.append(_bold(_counts(t, t("Total"), total)))
    return "\n".join(lines)


@renders(WeeklyDigest)
def weekly_digest(n: WeeklyDigest, ctx: RenderContext) -> Reply:
    t, reference = ctx.t, ctx.reference
    since = format_date(n.since, lang=t.language)
    parts = [_district(t, reference, w, since) for w in n.districts]
    if n.coordinator:
        parts.append(_overview(t, reference, n, since))
    return Reply("\n\n".join(parts))
