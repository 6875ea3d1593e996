"""The district's action programme: focus areas with their decision and the progress of
their agreements (kept, late, open), and the coordinator's list to record decisions."""

from __future__ import annotations

from functools import partial
from html import escape

from bot.messages import callbacks
from bot.messages.formatting import format_date, format_number, format_share
from bot.messages.needs import DECISION_LABELS, district_name, plain
from bot.messages.render import RenderContext
from bot.messages.reply import Button, Reply, rows
from bot.services.needs.focus import Progress
from bot.services.reporting.labels import ReportLabels
from bot.storage.models import FocusArea

NEED = callbacks.NEED


def _bar(progress: Progress, width: int = 10) -> str:
    """A small text chart: ■ kept, ▲ late, □ open."""
    total = progress.total
    if not total:
        return ""
    kept = round(width * progress.kept / total)
    late = round(width * progress.late / total)
    return "■" * kept + "▲" * late + "□" * max(width - kept - late, 0)


def programme(ctx: RenderContext, district: str, found: list[Progress]) -> Reply:
    t = ctx.t
    title = t("Action programme {district}", district=district_name(ctx, district))
    lines = ["<b>" + escape(title) + "</b>"]
    if not found:
        lines.append(escape(t("No focus areas agreed yet.")))
    for item in found:
        focus = item.focus
        lines.append("")
        lines.append("<b>" + escape(focus.title) + "</b>")
        if focus.decision and focus.decided_on:
            lines.append(
                escape(
                    t(
                        "Dezernentenkonferenz, {date}: {decision}",
                        date=format_date(focus.decided_on, lang=t.language),
                        decision=t(DECISION_LABELS.get(focus.decision, focus.decision)),
                    )
                )
            )
        else:
            lines.append(escape(t("Not yet decided by the Dezernentenkonferenz.")))
        lines.append(
            escape(
                t(
                    "Agreements: {kept} kept, {late} late, {open} open",
                    kept=item.kept,
                    late=item.late,
                    open=item.open,
                )
            )
        )
        if item.total:
            lines.append(_bar(item))
        for need in item.needs:
            lines.append(f"  • #{need.id} " + escape(need.missing))
    return Reply("\n".join(lines))


def decisions(ctx: RenderContext, district: str, found: list[FocusArea]) -> Reply:
    t = ctx.t
    if not found:
        return plain(
            t("{district} has no focus areas yet.", district=district_name(ctx, district))
        )
    lines = [escape(t("Record the Dezernentenkonferenz's decision on a focus area:"))]
    buttons = []
    for index, focus in enumerate(found, start=1):
        lines.append(f"{index}. " + escape(focus.title))
        buttons.append(
            [
                Button(f"{index}. " + t(label), NEED.data("dk", focus.id, key))
                for key, label in DECISION_LABELS.items()
            ]
        )
    return Reply("\n".join(lines), buttons=rows(*buttons))


def chart_labels(ctx: RenderContext, district: str) -> ReportLabels:
    """The words and numbers of the programme's progress chart, in the reader's language."""
    t = ctx.t
    text = {
        "focus.title": t("Progress of the focus areas"),
        "focus.subtitle": district_name(ctx, district),
        "focus.axis": t("Agreements"),
        "focus.kept": t("kept"),
        "focus.late": t("late"),
        "focus.open": t("open"),
        "no_data": t("no data"),
    }
    number = partial(format_number, lang=t.language, digits=0)
    return ReportLabels(
        text=text,
        period="",
        period_range="",
        made="",
        month=str,
        topic=str,
        number=number,
        share=partial(format_share, lang=t.language),
        days=number,
    )


def chart_rows(found: list[Progress]) -> list[tuple[str, int, int, int]]:
    """The focus areas with agreements, for the chart (none: no chart is sent)."""
    return [(p.focus.title[:40], p.kept, p.late, p.open) for p in found if p.total]
