"""What reps and managers read about agreements: the card, the buttons, the status labels,
and the renderers of the agreement intents sent on a decision. No Telegram here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.due_dates import new_date_question
from bot.messages.formatting import format_date
from bot.messages.reference import department_label
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Button, Reply, Rows, rows
from bot.services.agreements import notices
from bot.services.agreements.notices import AgreementCard
from bot.services.agreements.rules import day_off
from bot.services.agreements.status import AgreementStatus
from bot.services.basics.reference import ReferenceData
from bot.storage.models import Agreement

AG = callbacks.AGREEMENT
STATUS_LABELS = {
    AgreementStatus.OPEN: N_("open"),
    AgreementStatus.DONE_REPORTED: N_("reported done"),
    AgreementStatus.EXTENSION_REQUESTED: N_("more time requested"),
    AgreementStatus.PROBLEM: N_("problem reported"),
    AgreementStatus.DONE: N_("done"),
    AgreementStatus.CANCELLED: N_("cancelled"),
}


def status_label(t: Translator, status: str) -> str:
    label = STATUS_LABELS.get(AgreementStatus(status)) if status in STATUS_LABELS else None
    return t(label) if label else status


def card_of(agreement: Agreement) -> AgreementCard:
    return AgreementCard(
        agreement_id=agreement.id,
        district=agreement.district_number,
        department=agreement.department_number,
        measure=agreement.measure,
        due=agreement.due_at,
    )


def due_text(card_or_due: AgreementCard, ctx: RenderContext) -> str:
    return format_date(card_or_due.due.astimezone(ctx.tz), lang=ctx.t.language)


def summary(card: AgreementCard, ctx: RenderContext) -> str:
    """The agreement in a few escaped lines: number, district, department, measure, due."""
    t, ref = ctx.t, ctx.reference
    district = (
        ref.district(card.district).name if ref.has_district(card.district) else card.district
    )
    department = (
        department_label(t, ref.department(card.department))
        if ref.has_department(card.department)
        else card.department
    )
    lines = [
        "<b>" + escape(t("Agreement #{number}", number=card.agreement_id)) + "</b>",
        escape(t("District: {district}", district=district)),
        escape(t("Department: {department}", department=department)),
        escape(t("Measure: {measure}", measure=card.measure)),
        escape(t("Due: {date}", date=due_text(card, ctx))),
    ]
    if card.for_staff and card.rep_bound:
        lines.append(escape(t("Representative: {name}", name=card.rep_name or "–")))
    elif card.for_staff:
        lines.append(escape(t("No representative of the department is bound for this district.")))
    return "\n".join(lines)


def rep_buttons(t: Translator, agreement_id: int) -> Rows:
    return rows(
        [Button(t("✅ Done"), AG.data("done", agreement_id))],
        [Button(t("⏳ Ask for more time"), AG.data("more", agreement_id))],
        [Button(t("⚠️ Report a problem"), AG.data("problem", agreement_id))],
    )


def decision_buttons(t: Translator, agreement_id: int) -> tuple[Button, ...]:
    return (
        Button(t("Approve new date"), AG.data("approve", agreement_id)),
        Button(t("Reject"), AG.data("reject", agreement_id)),
    )


def card_reply(head: str, card: AgreementCard, ctx: RenderContext, buttons: Rows = ()) -> Reply:
    """`head` (escaped) above the agreement's card."""
    return Reply(head + "\n\n" + summary(card, ctx), buttons=buttons)


def with_note(head: str, note: str | None) -> str:
    return head + ("\n" + escape(note) if note else "")


def rep_name(t: Translator, name: str | None) -> str:
    return name or t("The representative")


def rep_cards(agreements: Sequence[Agreement], ctx: RenderContext) -> list[Reply]:
    """A rep's `/vereinbarungen`: each open agreement with its buttons."""
    return [Reply(summary(card_of(a), ctx), buttons=rep_buttons(ctx.t, a.id)) for a in agreements]


def status_overview(grouped: Mapping[str, Sequence[Agreement]], ctx: RenderContext) -> Reply:
    """A manager's `/vereinbarungen`: the districts' agreements under their status."""
    t = ctx.t
    lines = []
    for status, listed in grouped.items():
        heading = t("{status} ({count})", status=status_label(t, status), count=len(listed))
        lines.append("<b>" + escape(heading) + "</b>")
        for agreement in listed[:15]:
            due = format_date(agreement.due_at.astimezone(ctx.tz), lang=t.language)
            flag = " ⚠️" * agreement.escalation_level
            line = t(
                "#{number} Dept. {department} – {measure} – {date}",
                number=agreement.id,
                department=agreement.department_number,
                measure=agreement.measure[:60],
                date=due,
            )
            lines.append(escape(line + flag))
    return Reply("\n".join(lines))


# --------------------------------------------------------------------- to the managers


@renders(notices.RepMissing)
def rep_missing(n: notices.RepMissing, ctx: RenderContext) -> Reply:
    head = "⚠️ " + escape(
        ctx.t(
            "No representative of the department is bound for this district. The agreement "
            "is stored; its reminders start once a representative is bound."
        )
    )
    return card_reply(head, n.card, ctx)


@renders(notices.DoneReported)
def done_reported(n: notices.DoneReported, ctx: RenderContext) -> Reply:
    t, ident = ctx.t, n.card.agreement_id
    head = "✅ " + escape(t("{name} reports this agreement as done.", name=rep_name(t, n.name)))
    buttons = rows(
        [
            Button(t("Confirm done"), AG.data("confirm", ident)),
            Button(t("Not done yet"), AG.data("reopen", ident)),
        ]
    )
    return card_reply(with_note(head, n.note), n.card, ctx, buttons)


@renders(notices.ExtensionRequested)
def extension_requested(n: notices.ExtensionRequested, ctx: RenderContext) -> Reply:
    t = ctx.t
    date = format_date(n.new_due.astimezone(ctx.tz), lang=t.language)
    head = "⏳ " + escape(
        t("{name} asks for more time: new date {date}.", name=rep_name(t, n.name), date=date)
    )
    head += "\n" + escape(t("Reason: {reason}", reason=n.reason or "–"))
    return card_reply(head, n.card, ctx, rows(decision_buttons(t, n.card.agreement_id)))


@renders(notices.ProblemReported)
def problem_reported(n: notices.ProblemReported, ctx: RenderContext) -> Reply:
    t, ident = ctx.t, n.card.agreement_id
    head = "⚠️ " + escape(
        t("{name} reports a problem with this agreement:", name=rep_name(t, n.name))
    )
    buttons = rows(
        [
            Button(t("Change the date"), AG.data("redate", ident)),
            Button(t("Keep as agreed"), AG.data("reopen", ident)),
        ],
        [Button(t("Escalate to coordination"), AG.data("escalate", ident))],
    )
    return card_reply(head + "\n" + escape(n.text), n.card, ctx, buttons)


# -------------------------------------------------------------- to the rep, on decisions


@renders(notices.ExtensionGranted)
def extension_granted(n: notices.ExtensionGranted, ctx: RenderContext) -> Reply:
    head = "✅ " + escape(
        ctx.t("More time granted: the agreement is now due {date}.", date=due_text(n.card, ctx))
    )
    return card_reply(head, n.card, ctx)


@renders(notices.ExtensionRefused)
def extension_refused(n: notices.ExtensionRefused, ctx: RenderContext) -> Reply:
    head = escape(
        ctx.t(
            "Your request for more time was not granted; the agreement stays due {date}.",
            date=due_text(n.card, ctx),
        )
    )
    return card_reply(head, n.card, ctx, rep_buttons(ctx.t, n.card.agreement_id))


@renders(notices.DueChanged)
def due_changed(n: notices.DueChanged, ctx: RenderContext) -> Reply:
    head = escape(
        ctx.t(
            "The district management changed the due date to {date}.",
            date=due_text(n.card, ctx),
        )
    )
    return card_reply(head, n.card, ctx, rep_buttons(ctx.t, n.card.agreement_id))


@renders(notices.Confirmed)
def confirmed(n: notices.Confirmed, ctx: RenderContext) -> Reply:
    head = "✅ " + escape(
        ctx.t("The district management confirmed this agreement as done. Thank you!")
    )
    return card_reply(head, n.card, ctx)


@renders(notices.Reopened)
def reopened(n: notices.Reopened, ctx: RenderContext) -> Reply:
    head = escape(ctx.t("The district management reopened this agreement: it is still open."))
    return card_reply(
        with_note(head, n.note), n.card, ctx, rep_buttons(ctx.t, n.card.agreement_id)
    )


@renders(notices.AskedAgain)
def asked_again(n: notices.AskedAgain, ctx: RenderContext) -> Reply:
    head = escape(ctx.t("The district management asks about the state of this agreement."))
    return card_reply(head, n.card, ctx, rep_buttons(ctx.t, n.card.agreement_id))


@renders(notices.Cancelled)
def cancelled(n: notices.Cancelled, ctx: RenderContext) -> Reply:
    head = escape(ctx.t("The district management cancelled this agreement."))
    return card_reply(head, n.card, ctx)


# ------------------------------------------------------------ answers to button presses

ANSWERS = {
    "done": N_("Reported as done. The district management will confirm it."),
    "problem": N_("The district management is told about the problem."),
    "more": N_("Your request for more time was sent to the district management."),
    "confirm": N_("Confirmed as done."),
    "reopen": N_("Reopened."),
    "approve": N_("More time granted."),
    "reject": N_("Request rejected; the old date stays."),
    "nudge": N_("The representative was nudged."),
    "nudge_none": N_("No representative is bound to nudge."),
    "escalate": N_("Escalated to the coordination unit 18.6."),
    "escalate_none": N_("Already escalated."),
}


def answer(t: Translator, outcome: str) -> str:
    return t(ANSWERS[outcome])


def refused_button(t: Translator, reason: str) -> str:
    if reason == "state":
        return t("This button is no longer valid.")
    return t("That did not work: {reason}.", reason=reason)


def prompt(t: Translator, step: str, agreement_id: int) -> Reply:
    """What the rep or manager is asked to type after pressing a button."""
    buttons: Rows = ()
    if step == "done":
        text = t("Optional: one sentence on what was done, or press the button.")
        label = t("Report done without a comment")
        buttons = rows([Button(label, AG.data("donenow", agreement_id))])
    elif step == "more":
        text = t("Until when do you need? Type the new date, e.g. 'bis Ende April'.")
    elif step == "problem":
        text = t("Please describe the problem in a few words:")
    else:
        text = t("Type the new due date, e.g. 'in drei Wochen':")
    return Reply(text + "\n" + t("(/abbrechen to stop)"), buttons=buttons, html=False)


def confirm_date(t: Translator, when: datetime, agreement_id: int) -> Reply:
    """A new due date read back; a weekend or Lower Saxony holiday is asked about."""
    return Reply(
        new_date_question(t, when, day_off(when.date())),
        buttons=rows(
            [
                Button(t("Yes"), AG.data("dateok", agreement_id)),
                Button(t("No"), AG.data("dateno", agreement_id)),
            ]
        ),
        html=False,
    )


def date_problem(t: Translator, reason: str) -> str:
    if reason == "past":
        return t("That date is in the past. Please give a date from today on.")
    return t(
        "I did not understand that date. Examples: "
        "'bis Freitag', 'in zwei Wochen', '15.3.', 'Ende März'."
    )


def due_changed_answer(t: Translator, due: datetime) -> str:
    return t("Due date changed to {date}.", date=format_date(due, lang=t.language))


def too_long(t: Translator, limit: int) -> str:
    return t("Please send a text of at most {limit} characters, or /abbrechen.", limit=limit)


def escalation_csv_header(t: Translator) -> list[str]:
    return [
        t("Department"),
        t("District"),
        t("Agreement"),
        t("Measure"),
        t("Due"),
        t("Escalation level"),
        t("State"),
    ]


def form_review(
    t: Translator,
    ref: ReferenceData,
    *,
    district: str,
    department: str,
    measure: str,
    due: datetime,
    plan_title: str | None,
) -> Reply:
    """The agreement form's last step: what will be saved, with Save and Cancel."""
    lines = [
        "<b>" + escape(t("New agreement")) + "</b>",
        escape(t("District: {district}", district=ref.district(district).name)),
        escape(
            t(
                "Department: {department}",
                department=department_label(t, ref.department(department)),
            )
        ),
        escape(t("Measure: {measure}", measure=measure)),
        escape(t("Due: {date}", date=format_date(due, lang=t.language))),
    ]
    if plan_title:
        lines.append(escape(t("Action plan: {title}", title=plan_title)))
    form = callbacks.AGREEMENT_FORM
    buttons = rows(
        [Button(t("✅ Save"), form.data("save")), Button(t("✖️ Cancel"), form.data("cancel"))]
    )
    return Reply("\n".join(lines), buttons=buttons)


NOBODY_INFORMED = N_(
    "Agreement saved. Nobody of the department uses the bot yet, so nobody was informed; the "
    "district management has the card."
)
INFORMED_LATER = N_(
    "Agreement saved. The department will be informed on {date} at {time} (outside working "
    "hours nobody is disturbed) and will be reminded."
)


def saved_note(t: Translator, *, has_rep: bool, informed_at: datetime | None, tz: ZoneInfo) -> str:
    """After saving: truthfully when the department hears of it (held for working hours)."""
    if not has_rep:
        return t(NOBODY_INFORMED)
    if informed_at is None:
        return t("Agreement saved. The department is informed and will be reminded.")
    moment = informed_at.astimezone(tz)
    date, time = format_date(moment.date(), lang=t.language), moment.strftime("%H:%M")
    return t(INFORMED_LATER, date=date, time=time)
