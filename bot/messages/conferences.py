"""What the bot says about district conferences: the manager's dialogue, the overview, the
calendar of all districts, and the invitations, reminders and answers queued as intents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.formatting import format_date, format_moment
from bot.messages.reference import department_label
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Button, Reply, Rows, chunked, rows
from bot.services.agreements.conferences import Overview, Scheduled
from bot.services.agreements.planning import CalendarRow
from bot.services.agreements.planning_notices import (
    ConferenceOverdue,
    ConferenceRef,
    ConferenceReminder,
    Invitation,
    InviteDeclined,
)
from bot.storage.models import Conference

KIND_LABELS = {"conference": N_("District conference"), "meeting": N_("Working meeting")}
STATUS_LABELS = {"planned": N_("planned"), "held": N_("held"), "cancelled": N_("cancelled")}
ANSWER_HEADINGS = {
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "pending": N_("No answer yet"),
    "none": N_("Nobody to invite"),
}
REMINDER_LEADS = {
    "d7": N_("Reminder, in one week: {title}"),
    "d1": N_("Reminder, tomorrow: {title}"),
}
REMINDER_ON = {
    0: N_("Reminder, today: {title}"),
    1: REMINDER_LEADS["d1"],
    7: REMINDER_LEADS["d7"],
}
STOP = N_("(/abbrechen to stop)")
EXAMPLES_WHEN = N_(
    "I did not understand that. Please type date and time, e.g. "
    "'15.4. um 10 Uhr' or 'nächsten Dienstag 14 Uhr'."
)
PASSED = N_("That moment has already passed. Please give a date and time in the future.")
NEED_TIME = N_("Please add the time, e.g. '15.4. um 10 Uhr'.")
ASK_AGAIN = N_("When then? Type date and time.")
CHOOSE_DEPARTMENTS = N_("Which departments are invited? Press one to add or remove it.")
AT_LEAST_ONE = N_("Choose at least one department.")
PASSED_MEANWHILE = N_("That moment has passed meanwhile. Please type a new date and time.")
STALE = N_("This button is no longer valid.")
HELD = N_("Marked as held. Record its agreements with the button.")
NO_MORE_TOPICS = N_("This conference takes no more agenda topics.")


def plain(t: Translator, message: str, **values: object) -> Reply:
    """One translated sentence (a constant of this module), without HTML."""
    return Reply(t(message, **values), html=False)


def title(ctx: RenderContext, conference: ConferenceRef | Conference) -> str:
    """'District conference Linden-Limmer, Wed, 15 Apr 2026, 10:00' in the reader's words."""
    ref = conference if isinstance(conference, ConferenceRef) else ConferenceRef.of(conference)
    t = ctx.t
    kind = t(KIND_LABELS.get(ref.kind, KIND_LABELS["conference"]))
    starts = format_moment(ref.starts_at, ctx.tz, lang=t.language)
    return t(
        "{kind} {district}, {date}",
        kind=kind,
        district=ctx.reference.district(ref.district).name,
        date=starts,
    )


def department(ctx: RenderContext, number: str) -> str:
    return department_label(ctx.t, ctx.reference.department(number))


def rep_buttons(t: Translator, conference_id: int, invite_id: int | None) -> Rows:
    """Accept and decline while the invitation is unanswered; an agenda topic until the start."""
    answer = (
        [
            Button(t("Accept"), callbacks.CONFERENCE.data("yes", invite_id)),
            Button(t("Decline"), callbacks.CONFERENCE.data("no", invite_id)),
        ]
        if invite_id is not None
        else []
    )
    agenda = [Button(t("Add agenda topic"), callbacks.CONFERENCE.data("agenda", conference_id))]
    return rows(answer, agenda)


# --- intents ------------------------------------------------------------------------------
@renders(Invitation)
def invitation(n: Invitation, ctx: RenderContext) -> Reply:
    t = ctx.t
    text = "<b>" + escape(t("Invitation: {title}", title=title(ctx, n.conference))) + "</b>\n"
    text += escape(
        t(
            "Please let us know whether {department} attends, and send topics for the agenda.",
            department=department(ctx, n.department),
        )
    )
    return Reply(text, buttons=rep_buttons(t, n.conference.id, n.invite_id))


@renders(ConferenceReminder)
def reminder(n: ConferenceReminder, ctx: RenderContext) -> Reply:
    t = ctx.t
    if n.days_before is None:  # a row queued before the days were carried
        lead = t(REMINDER_LEADS.get(n.slot, REMINDER_LEADS["d1"]), title=title(ctx, n.conference))
    elif n.days_before in (0, 1, 7):
        lead = t(REMINDER_ON[n.days_before], title=title(ctx, n.conference))
    else:
        lead = t.plural(
            "Reminder, in {count} day: {title}",
            "Reminder, in {count} days: {title}",
            n.days_before,
            title=title(ctx, n.conference),
        )
    text = escape(lead)
    if n.for_manager:
        return Reply(text + "\n" + escape(t("/konferenzen shows who comes.")))
    return Reply(text, buttons=rep_buttons(t, n.conference.id, n.invite_id))


@renders(InviteDeclined)
def declined(n: InviteDeclined, ctx: RenderContext) -> Reply:
    text = ctx.t(
        "{department} declined: {title}",
        department=department(ctx, n.department),
        title=title(ctx, n.conference),
    )
    return Reply(escape(text))


@renders(ConferenceOverdue)
def overdue(n: ConferenceOverdue, ctx: RenderContext) -> Reply:
    text = ctx.t(
        "{district} has had no district conference for six months. Please plan one "
        "with /konferenz.",
        district=ctx.reference.district(n.district).name,
    )
    return Reply(escape(text))


# --- the manager's dialogue ---------------------------------------------------------------
def ask_when(ctx: RenderContext, district: str) -> Reply:
    t = ctx.t
    text = t(
        "When does the district conference in {district} take place? Type date "
        "and time, e.g. '15.4. um 10 Uhr' or 'nächsten Dienstag 14 Uhr'.",
        district=ctx.reference.district(district).name,
    )
    return Reply(text + "\n" + t(STOP), html=False)


def ask_again(t: Translator) -> Reply:
    return Reply(t(ASK_AGAIN) + "\n" + t(STOP), html=False)


def confirm_when(t: Translator, starts_at: datetime) -> Reply:
    text = t(
        "District conference on {date} – is that right?",
        date=format_date(starts_at, lang=t.language, with_time=True),
    )
    buttons = rows(
        [
            Button(t("Yes"), callbacks.CONFERENCE_CONFIRM.data("yes")),
            Button(t("No, another time"), callbacks.CONFERENCE_CONFIRM.data("no")),
        ]
    )
    return Reply(text, buttons=buttons, html=False)


def department_buttons(ctx: RenderContext, selected: Sequence[str]) -> Rows:
    items = [
        Button(
            ("✅ " if d.number in selected else "▫️ ") + department_label(ctx.t, d),
            callbacks.CONFERENCE_DEPARTMENTS.data(d.number),
        )
        for d in ctx.reference.departments
    ]
    send = Button(ctx.t("Send invitations"), callbacks.CONFERENCE_DEPARTMENTS.data("send"))
    return (*chunked(items, 2), (send,))


def choose_departments(ctx: RenderContext, selected: Sequence[str]) -> Reply:
    return Reply(ctx.t(CHOOSE_DEPARTMENTS), buttons=department_buttons(ctx, selected), html=False)


def scheduled(ctx: RenderContext, result: Scheduled) -> list[Reply]:
    """How many reps were invited, which departments have nobody to invite."""
    t = ctx.t
    invited = sum(1 for invite in result.invites if invite.person_id is not None)
    replies = [
        Reply(t("Invitations sent to representatives: {count}.", count=invited), html=False)
    ]
    if result.without_rep:
        labels = ", ".join(department(ctx, n) for n in result.without_rep)
        replies.append(
            Reply(
                t(
                    "Nobody to invite from: {departments}. Invite their representatives "
                    "with /einladen, e.g. {command}",
                    departments=labels,
                    command=f"/einladen fb {result.without_rep[0]} "
                    f"{result.conference.district_number}",
                ),
                html=False,
            )
        )
    return replies


# --- the overview and the calendar --------------------------------------------------------
def conference_buttons(t: Translator, conference: Conference, now: datetime) -> Rows:
    """Before the start an agenda topic; afterwards its agreements, and 'held' once."""
    if conference.starts_at > now:
        return rows(
            [Button(t("Add agenda topic"), callbacks.CONFERENCE.data("agenda", conference.id))]
        )
    record = Button(t("Record agreements"), callbacks.AGREEMENT_FORM.data("start", conference.id))
    held = Button(t("Mark as held"), callbacks.CONFERENCE.data("held", conference.id))
    return rows([record], [held] if conference.status == "planned" else [])


def overview(ctx: RenderContext, found: Overview, buttons: Rows = ()) -> Reply:
    """Who accepted, declined, has not answered or is missing, and the agenda."""
    t = ctx.t
    status = STATUS_LABELS.get(found.conference.status)
    lines = [
        "<b>" + escape(title(ctx, found.conference)) + "</b>",
        escape(t("Status: {status}", status=t(status) if status else "")),
    ]
    groups: dict[str, list[str]] = {key: [] for key in ANSWER_HEADINGS}
    for invite, person in found.invites:
        label = department(ctx, invite.department_number)
        if person is None:
            groups["none"].append(label)
        else:
            name = f"{label} ({person.first_name})" if person.first_name else label
            groups[invite.response or "pending"].append(name)
    for key, heading in ANSWER_HEADINGS.items():
        if groups[key]:
            names = ", ".join(groups[key])
            lines.append(escape(t("{heading}: {names}", heading=t(heading), names=names)))
    lines.append("<b>" + escape(t("Agenda")) + "</b>")
    for number, item in enumerate(found.agenda, start=1):
        who = f" ({department(ctx, item.department_number)})" if item.department_number else ""
        lines.append(escape(f"{number}. {item.text}{who}"))
    if not found.agenda:
        lines.append(escape(t("No topics yet.")))
    return Reply("\n".join(lines), buttons=buttons)


def no_conferences(ctx: RenderContext, district: str) -> Reply:
    text = ctx.t(
        "No conferences in {district} yet. Plan one with /konferenz.",
        district=ctx.reference.district(district).name,
    )
    return Reply(text, html=False)


def calendar(ctx: RenderContext, found: Sequence[CalendarRow]) -> Reply:
    """One line per district; ⚠️ where the six-month rule is broken."""
    t = ctx.t

    def day(moment: datetime | None) -> str:
        return format_date(moment.astimezone(ctx.tz), lang=t.language) if moment else "–"

    lines = ["<b>" + escape(t("Conference calendar of all districts")) + "</b>"]
    for row in found:
        line = t(
            "{number} {district}: last held {last}, next {next}",
            number=row.district,
            district=ctx.reference.district(row.district).name,
            last=day(row.last_held),
            next=day(row.next_planned),
        )
        lines.append(escape(line) + (" ⚠️" if row.overdue else ""))
    return Reply("\n".join(lines))


# --- the reps' answers and agenda topics --------------------------------------------------
def answered(ctx: RenderContext, conference: Conference, *, accept: bool) -> Reply:
    t, label = ctx.t, title(ctx, conference)
    if accept:
        return Reply(t("Thank you, you accepted: {title}", title=label), html=False)
    return Reply(t("Thank you, you declined: {title}", title=label), html=False)


def ask_topic(ctx: RenderContext, conference: Conference) -> Reply:
    t = ctx.t
    text = t("Type your topic for the agenda of: {title}", title=title(ctx, conference))
    return Reply(text + "\n" + t(STOP), html=False)


def too_long(t: Translator, limit: int) -> Reply:
    text = t("Please send a text of at most {limit} characters, or /abbrechen.", limit=limit)
    return Reply(text, html=False)


def topic_added(t: Translator, topic: str) -> Reply:
    return Reply(t("Added to the agenda: {topic}", topic=topic), html=False)


# --- shared by the planning dialogues (conferences, agenda, projects) ---------------------
def no_such_district(t: Translator, given: str) -> Reply:
    return Reply(t("There is no district '{number}'.", number=given), html=False)


def which_district(t: Translator, command: str) -> Reply:
    text = t("Please add the district number, e.g. /{command} 10.", command=command)
    return Reply(text, html=False)


def cancelled(t: Translator) -> Reply:
    return Reply(t("Cancelled."), html=False)
