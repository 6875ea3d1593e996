"""/bericht in the chat: the short summary of a period's figures, the chart captions and the
buttons (period, district, file format), in the reader's language. Numbers and shares are
written by Babel for the reader's locale."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.formatting import format_share
from bot.messages.reply import Button, Reply, chunked, rows
from bot.messages.report_labels import TEXTS as LABELS
from bot.messages.report_labels import period_label, working_days
from bot.services.basics.periods import parse_period
from bot.services.basics.reference import ReferenceData
from bot.services.reporting import charts
from bot.services.reporting.figures import (
    STATUSES,
    Figures,
    conference_rule,
    median,
    p90,
    share,
)

# (label, the phrase the period parser reads): the phrases are parser input, not prose
PERIOD_CHOICES = (
    (N_("This month"), "dieser Monat"),  # not translated: parser input
    (N_("Last month"), "letzter Monat"),  # not translated: parser input
    (N_("This quarter"), "dieses Quartal"),  # not translated: parser input
    (N_("Last quarter"), "letztes Quartal"),  # not translated: parser input
    (N_("This half-year"), "dieses Halbjahr"),  # not translated: parser input
    (N_("Last half-year"), "letztes Halbjahr"),  # not translated: parser input
    (N_("This year"), "dieses Jahr"),  # not translated: parser input
    (N_("Last year"), "letztes Jahr"),  # not translated: parser input
)
# what one may type after /bericht; the parser reads German phrases, so they stay German
EXAMPLES = ", ".join(
    (
        "2026-H1, 2026-Q1, 2026-03, 2026",
        "letztes Quartal, März 2026",  # not translated: parser input
        "1.1.2026 - 31.3.2026",
    )
)
FORMATS = ((N_("PDF"), "pdf"), (N_("Excel (XLSX)"), "xlsx"), (N_("CSV"), "csv"))


def _pct(t: Translator, value: float | None) -> str:
    return "–" if value is None else format_share(value, lang=t.language)


def _days(t: Translator, value: float | None) -> str:
    return "–" if value is None else working_days(t, value)


def _helped(t: Translator, yes: int, no: int) -> str:
    if not yes + no:  # nobody was asked yet, or nobody answered
        return t("the contact helped: no answers yet")
    return t("the contact helped in {share} of the answers ({yes} of {answers})",
             share=_pct(t, share(yes, yes + no)), yes=yes, answers=yes + no)  # fmt: skip


def _statuses(t: Translator, fig: Figures) -> str:
    counts = ", ".join(f"{t(LABELS['status.' + s])} {fig.total.by_status[s]}" for s in STATUSES)
    return t("By status now: {counts}", counts=counts)


def _scope(t: Translator, reference: ReferenceData, fig: Figures) -> str:
    if len(fig.districts) == 1:
        return t("district {name}", name=charts.district_label(reference, fig.districts[0]))
    return t.plural("{count} district", "{count} districts", len(fig.districts))


def _cases(t: Translator, fig: Figures) -> list[str]:
    f = fig.total
    decided = f.lotse + f.kuemmerer
    return [
        t("Concerns received: {n} (residents {r}, actors {a}, district council {c})", n=f.received,
          r=f.by_sender["resident"], a=f.by_sender["actor"], c=f.by_sender["council"]),
        t("Triage: Lotse {lotse} ({lotse_share}), Kümmerer {k} ({k_share}); {helped}",
          lotse=f.lotse, k=f.kuemmerer, lotse_share=_pct(t, share(f.lotse, decided)),
          k_share=_pct(t, share(f.kuemmerer, decided)),
          helped=_helped(t, f.helped_yes, f.helped_no)),
        _statuses(t, fig),
        t("First response: median {median}, 90 % within {p90}",
          median=_days(t, median(f.first_response)), p90=_days(t, p90(f.first_response))),
        t("Resolution: median {median}, 90 % within {p90}",
          median=_days(t, median(f.resolution)), p90=_days(t, p90(f.resolution))),
        t("Open now: {open}, median age {age}; reopened: {reopened} ({share})",
          open=len(f.backlog_ages), age=_days(t, median(f.backlog_ages)), reopened=f.reopened,
          share=_pct(t, share(f.reopened, f.received))),
        t("Is it settled? {yes} yes, {no} no, {none} without answer", yes=f.settled_yes,
          no=f.settled_no, none=f.settled_unanswered),
    ]  # fmt: skip


def _commitments(t: Translator, fig: Figures) -> list[str]:
    f, tz, years = fig.total, fig.period.tz, fig.period.years()
    a = f.agreement_totals()
    rules = [conference_rule(fig.per_district[d].conferences[y], y, fig.now, tz)
             for d in fig.districts for y in years]  # fmt: skip
    no_project = sum(1 for d in fig.districts for y in years
                     if not fig.per_district[d].projects[y])  # fmt: skip
    return [
        t("Agreements due: {due}; on time {on_time}, late {late}, open {open} (overdue "
          "{overdue}), escalated {escalated}", **{k: a[k] for k in (
              "due", "on_time", "late", "open", "overdue", "escalated")}),
        t("Conferences held: {held}, planned: {planned}; twice a year: met {met}, still "
          "possible {open}, missed {missed}", held=sum(f.conferences.values()),
          planned=sum(f.planned.values()), met=rules.count("met"),
          open=rules.count("open"), missed=rules.count("missed")),
        t("Projects: {count}; district-years without a project: {missing}",
          count=sum(f.projects.values()), missing=no_project),
        t("Meetings of the district attended: {count}", count=f.meetings),
    ]  # fmt: skip


def _council(t: Translator, fig: Figures) -> list[str]:
    c = fig.council
    lines = [_council_total(t, fig)]
    fractions: Counter[str] = Counter()
    for (_, fraction), n in c.by_fraction.items():
        fractions[fraction] += n
    if fractions:
        counts = ", ".join(f"{name} {n}" for name, n in fractions.most_common())
        lines.append(t("Inquiries per fraction: {counts}", counts=counts))
    if c.by_department:
        counts = ", ".join(
            t("FB {number}: {on_time} of {all}", number=number, on_time=kept, all=total)
            for number, (kept, total) in c.by_department.items()
        )
        lines.append(t("Statements on time per department: {counts}", counts=counts))
    return lines


def _council_total(t: Translator, fig: Figures) -> str:
    c = fig.council
    return t(
        "District council – inquiries: {inquiries} (late {late}), information requests: "
        "{info}; statements on time before the session: {on_time} of {statements}",
        inquiries=c.inquiries,
        late=c.late_inquiries,
        info=c.information_requests,
        on_time=c.statements_on_time,
        statements=c.statements,
    )


def summary(t: Translator, reference: ReferenceData, fig: Figures) -> Reply:
    """The short text answer: the main figures of the period in a few lines."""
    head = t("Report for {scope}, {period}", scope=_scope(t, reference, fig),
             period=period_label(t, fig.period))  # fmt: skip
    lines = [*_cases(t, fig), *_commitments(t, fig)]
    lines.extend(_council(t, fig))
    return Reply("\n".join(["<b>" + escape(head) + "</b>", *(escape(line) for line in lines)]))


def without_data(t: Translator, titles: list[str]) -> Reply:
    """The charts that would be empty are not sent: their titles, and that there is no data."""
    return Reply("\n".join(t("{chart}: no data in the period", chart=title) for title in titles),
                 html=False)  # fmt: skip


def focus_areas(t: Translator, areas: int, kept: int, late: int, open_: int) -> Reply:
    """The action programme in the report: its focus areas and their agreements now."""
    return Reply(
        t.plural(
            "{count} focus area of the action programme; its agreements: {kept} kept, "
            "{late} late, {open} open (/programm)",
            "{count} focus areas of the action programme; their agreements: {kept} kept, "
            "{late} late, {open} open (/programm)",
            areas,
            kept=kept,
            late=late,
            open=open_,
        ),
        html=False,
    )


def in_german(t: Translator) -> Reply:
    """Charts and files are drawn left to right: for a right-to-left reader they stay German."""
    return Reply(t("The charts and files of the report are in German."), html=False)


def file_choice(t: Translator, *, coordinator: bool, key: str, scope: str) -> Reply:
    """After the charts: the report as a file, another period, (coordinators) a district."""
    files = [Button(t(name), callbacks.REPORT.data("f", fmt, key, scope)) for name, fmt in FORMATS]
    more = [Button(t("Other period"), callbacks.REPORT.data("m", scope))]
    if coordinator:
        more.append(Button(t("Choose district"), callbacks.REPORT.data("d", key)))
    return Reply(t("Download the report as a file, or choose:"), rows(files, more), html=False)


def period_menu(t: Translator, *, now: datetime, tz: ZoneInfo, scope: str) -> Reply:
    options = [
        Button(
            t(label), callbacks.REPORT.data("p", parse_period(phrase, now=now, tz=tz).key, scope)
        )
        for label, phrase in PERIOD_CHOICES
    ]
    text = t("Which period? You can also type e.g. /bericht {example}.", example="2026-H1")
    return Reply(text, chunked(options, 2), html=False)


def district_menu(t: Translator, reference: ReferenceData, key: str) -> Reply:
    options = [Button(t("All districts"), callbacks.REPORT.data("p", key, "*"))] + [
        Button(f"{d.number} {d.name}", callbacks.REPORT.data("p", key, d.number))
        for d in reference.districts
    ]
    return Reply(t("Which district?"), chunked(options, 2), html=False)


def unknown_period(t: Translator) -> Reply:
    return Reply(
        t("I do not know this period. Examples: {examples}", examples=EXAMPLES), html=False
    )
