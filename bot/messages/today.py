"""/heute: a manager's day (new cases, due next steps, cases waiting for the resident, due
agreements, this week's conferences) and a representative's (their department's agreements
and conferences), each item with a button that opens it. No Telegram here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape
from typing import TypeVar

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.agreements import status_label
from bot.messages.conferences import STATUS_LABELS as CONFERENCE_STATUS
from bot.messages.conferences import title
from bot.messages.formatting import format_date
from bot.messages.reference import department_label, topic_label_of
from bot.messages.render import RenderContext
from bot.messages.reply import Button, Reply, Rows, chunked
from bot.services.agreements.status import AgreementStatus
from bot.services.agreements.today import DepartmentToday, PlanningToday
from bot.services.basics.day import Day, Listing
from bot.services.cases.today import CasesToday
from bot.storage.models import Agreement, Case, Conference

T = TypeVar("T")
# Where the rest of a long section is listed: /faelle with the filter of the section (its
# German and English words both work), /vereinbarungen, /konferenzen.
MORE = N_("… and {count} more: {command}")
MORE_PLAIN = N_("… and {count} more")
NEW_MORE = N_("/faelle new")
DUE_MORE = N_("/faelle overdue")
WAITING_MORE = N_("/faelle waiting")
AGREEMENTS_MORE = "/vereinbarungen"
CONFERENCES_MORE = "/konferenzen"
EMPTY_STAFF = N_(
    "Nothing is waiting for you today: no new concerns, no step or agreement due, no "
    "conference this week. New concerns come to this chat as they arrive."
)
EMPTY_DEPARTMENT = N_(
    "Nothing is due for your department and no conference this week. Reminders come to this "
    "chat before an agreement is due."
)


def _date(t: Translator, moment: datetime, ctx: RenderContext) -> str:
    return format_date(moment.astimezone(ctx.tz).date(), lang=t.language)


def _section(
    ctx: RenderContext,
    heading: str,
    found: Listing[T],
    line: Callable[[T], str],
    button: Callable[[T], Button],
    more: str | None,
    width: int = 3,
) -> tuple[list[str], Rows]:
    """A heading with the count, a line per shown item, the hint to the rest, and a button per
    item (`width` a row); nothing for an empty section."""
    if not found.total:
        return [], ()
    t = ctx.t
    lines = ["", "<b>" + escape(t(heading, count=found.total)) + "</b>"]
    lines += ["• " + escape(line(item)) for item in found.items]
    if found.more > 0:
        hint = t(MORE, count=found.more, command=more) if more else t(MORE_PLAIN, count=found.more)
        lines.append(escape(hint))
    return lines, chunked([button(item) for item in found.items], width)


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _case_buttons(icon: str) -> Callable[[Case], Button]:
    def make(case: Case) -> Button:
        return Button(f"{icon} {case.reference}", callbacks.DESK.data("case", case.id))

    return make


def _place(ctx: RenderContext, case: Case) -> str:
    return case.quarter or ctx.reference.district(case.district_number).name


def _case_line(ctx: RenderContext, day: Day) -> Callable[[Case], str]:
    def line(case: Case) -> str:
        t = ctx.t
        days = (day.today - case.created_at.astimezone(ctx.tz).date()).days
        age = t("today") if days == 0 else t("1 day") if days == 1 else t("{days} days", days=days)
        topic = topic_label_of(t, ctx.reference, case.topic)
        marker = "🏛 " if case.actor_kind == "council" else ""
        return f"{marker}{case.reference} · {_place(ctx, case)} · {topic} · {age}"

    return line


def _step_line(ctx: RenderContext, day: Day) -> Callable[[Case], str]:
    def line(case: Case) -> str:
        t = ctx.t
        assert case.next_step_due is not None  # selected so
        due = _date(t, case.next_step_due, ctx)
        when = (
            t("overdue since {date}", date=due)
            if case.next_step_due.astimezone(ctx.tz).date() < day.today
            else t("due today")
        )
        step = _short((case.next_step or "").strip())
        return " · ".join(part for part in (case.reference, step, when) if part)

    return line


def _agreement_line(ctx: RenderContext, day: Day) -> Callable[[Agreement], str]:
    def line(agreement: Agreement) -> str:
        t, ref = ctx.t, ctx.reference
        department = (
            department_label(t, ref.department(agreement.department_number))
            if ref.has_department(agreement.department_number)
            else agreement.department_number
        )
        measure = _short(agreement.measure)
        due = _date(t, agreement.due_at, ctx)
        when = (
            t("overdue since {date}", date=due)
            if agreement.due_at.astimezone(ctx.tz).date() < day.today
            else t("due today")
            if agreement.due_at.astimezone(ctx.tz).date() == day.today
            else t("due {date}", date=due)
        )
        status = (
            "" if agreement.status == AgreementStatus.OPEN else status_label(t, agreement.status)
        )
        parts = (f"#{agreement.id} {department}", measure, when, status)
        return " · ".join(part for part in parts if part)

    return line


def _agreement_button(agreement: Agreement) -> Button:
    return Button(f"🤝 #{agreement.id}", callbacks.AGREEMENT.data("open", agreement.id))


def _conference_line(ctx: RenderContext) -> Callable[[Conference], str]:
    def line(conference: Conference) -> str:
        status = CONFERENCE_STATUS.get(conference.status)
        held = f" · {ctx.t(status)}" if status and conference.status != "planned" else ""
        return title(ctx, conference) + held

    return line


def _conference_button(ctx: RenderContext) -> Callable[[Conference], Button]:
    def make(conference: Conference) -> Button:
        day = format_date(conference.starts_at.astimezone(ctx.tz).date(), lang=ctx.t.language)
        return Button(f"📅 {day}", callbacks.CONFERENCE.data("open", conference.id))

    return make


def _heading(ctx: RenderContext, day: Day) -> str:
    date = format_date(day.today, lang=ctx.t.language)
    return "<b>" + escape(ctx.t("Today, {date}", date=date)) + "</b>"


def _reply(ctx: RenderContext, day: Day, sections: Sequence[tuple[list[str], Rows]]) -> Reply:
    lines = [_heading(ctx, day)]
    buttons: Rows = ()
    for section_lines, section_rows in sections:
        lines += section_lines
        buttons += section_rows
    return Reply("\n".join(lines), buttons=buttons)


def staff_day(ctx: RenderContext, day: Day, cases: CasesToday, planning: PlanningToday) -> Reply:
    """A manager's, deputy's or coordinator's day; empty sections are left out."""
    if cases.empty and planning.empty:
        return _empty(ctx, day, EMPTY_STAFF)
    sections = [
        _section(ctx, N_("🆕 New, not yet triaged ({count})"), cases.untriaged,
                 _case_line(ctx, day), _case_buttons("🆕"), ctx.t(NEW_MORE)),
        _section(ctx, N_("⏰ Next steps due today or overdue ({count})"), cases.due,
                 _step_line(ctx, day), _case_buttons("⏰"), ctx.t(DUE_MORE)),
        _section(ctx, N_("💬 Waiting for the resident ({count})"), cases.waiting,
                 _case_line(ctx, day), _case_buttons("💬"), ctx.t(WAITING_MORE)),
        _section(ctx, N_("🤝 Agreements due today or overdue ({count})"), planning.due,
                 _agreement_line(ctx, day), _agreement_button, AGREEMENTS_MORE, 4),
        _section(ctx, N_("📅 Conferences this week ({count})"), planning.conferences,
                 _conference_line(ctx), _conference_button(ctx), CONFERENCES_MORE, 2),
    ]  # fmt: skip
    return _reply(ctx, day, sections)


def department_day(ctx: RenderContext, day: Day, found: DepartmentToday) -> Reply:
    """A representative's day: their department's agreements and this week's conferences."""
    if found.empty:
        return _empty(ctx, day, EMPTY_DEPARTMENT)
    sections = [
        _section(ctx, N_("🤝 Agreements due today or overdue ({count})"), found.due,
                 _agreement_line(ctx, day), _agreement_button, AGREEMENTS_MORE, 4),
        _section(ctx, N_("📋 Other open agreements ({count})"), found.open,
                 _agreement_line(ctx, day), _agreement_button, AGREEMENTS_MORE, 4),
        _section(ctx, N_("📅 Conferences this week ({count})"), found.conferences,
                 _conference_line(ctx), _conference_button(ctx), None, 2),
    ]  # fmt: skip
    return _reply(ctx, day, sections)


def _empty(ctx: RenderContext, day: Day, message: str) -> Reply:
    return Reply(_heading(ctx, day) + "\n\n" + escape("🌤 " + ctx.t(message)))
