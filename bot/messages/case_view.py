"""The case card for the manager in front of the bot: the case's facts and the buttons its
state allows (`bot.services.cases.actions`), and what goes with it: a confirmation on top
after an action, the notice for a button that no longer fits, the questions before
reopening and before resolving. No Telegram here."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.agreements import status_label as agreement_status
from bot.messages.cases import action_button, actor_label, merge_buttons, place_label
from bot.messages.formatting import format_date, format_moment, language_name
from bot.messages.reference import department_label, topic_label_of
from bot.messages.referrals import referral_name
from bot.messages.reply import Button, Reply, rows
from bot.services.basics.reference import ReferenceData
from bot.services.cases.overview import CaseOverview
from bot.services.cases.records import OPEN_STATUSES, CaseStatus

TR = callbacks.TRIAGE
# The status as staff speak of it (the resident's words are in `cases.STATUS_LABELS`).
STAFF_STATUS = {
    "new": N_("new"),
    "in_progress": N_("in progress"),
    "waiting": N_("waiting for the resident"),
    "referred": N_("referred"),
    "resolved": N_("resolved"),
    "merged": N_("merged"),
}
# The card's rows, by what the case allows: undecided, in the Kümmerer's hands, closed.
Layout = tuple[tuple[str, ...], ...]
UNDECIDED_ROWS: Layout = (("lotse", "kue"), ("ask", "hand"))
CARETAKER_ROWS: Layout = (
    ("note", "step"),
    ("dep", "msg"),
    ("ask", "agreement"),
    ("refer_instead", "resolve"),
)
CLOSED_ROWS: Layout = (("reopen",),)


def staff_status(t: Translator, status: str) -> str:
    return t(STAFF_STATUS[status]) if status in STAFF_STATUS else status


def action_rows(t: Translator, view: CaseOverview) -> tuple[tuple[Button, ...], ...]:
    """The buttons of the actions the case allows now, then its history."""
    allowed, case_id = view.actions, view.case.id
    layout = UNDECIDED_ROWS if "kue" in allowed else CARETAKER_ROWS if "resolve" in allowed else ()
    layout = layout or (CLOSED_ROWS if "reopen" in allowed else ())

    def permitted(action: str) -> bool:
        return ("lotse" if action == "refer_instead" else action) in allowed

    built = [[action_button(t, a, case_id) for a in row if permitted(a)] for row in layout]
    if "merge" in allowed:
        similar = tuple((s.id, s.reference) for s in view.similar)
        built += [list(row) for row in merge_buttons(t, case_id, similar)]
    if view.merged_into is not None:
        into = view.merged_into
        label = t("🔎 Open {reference}", reference=into.reference)
        built.append([Button(label, TR.data("show", into.id))])
    built.append([action_button(t, "hist", case_id)])
    return rows(*built)


def _handling(t: Translator, ref: ReferenceData, view: CaseOverview) -> list[str]:
    """Who handles the case and how: the Kümmerer, the contact it was referred to, the case
    it joined."""
    case = view.case
    if view.merged_into is not None:
        return [t("Merged into {reference}", reference=view.merged_into.reference)]
    if case.status == CaseStatus.REFERRED and case.referral_key:
        contacts = {r.key: r for r in ref.referrals}
        contact = contacts.get(case.referral_key)
        name = referral_name(t, contact) if contact is not None else case.referral_key
        return [t("Lotse: referred to {contact}", contact=name)]
    if case.mode == "kuemmerer" and case.status != CaseStatus.NEW:
        if view.caretaker:
            return [t("Kümmerer: {name}", name=view.caretaker)]
        return [t("Kümmerer: the district management")]
    return []


def _next_step(t: Translator, view: CaseOverview, tz: ZoneInfo, now: datetime) -> list[str]:
    case = view.case
    if not case.next_step or case.status not in OPEN_STATUSES:
        return []
    if case.next_step_due is None:
        return [t("Next step: {step}", step=case.next_step)]
    due = case.next_step_due.astimezone(tz)
    line = t(
        "Next step: {step} – due {date}",
        step=case.next_step,
        date=format_date(due, lang=t.language),
    )
    return [line + (" " + t("(overdue)") if due < now else "")]


def _involved(t: Translator, ref: ReferenceData, view: CaseOverview, tz: ZoneInfo) -> list[str]:
    """The departments involved, by name, and the agreements made for the case."""
    lines = []
    names = [
        department_label(t, ref.department(n)) for n in view.departments if ref.has_department(n)
    ]
    if names:
        lines.append(t("Departments involved: {departments}", departments="; ".join(names)))
    for agreement in view.agreements:
        number = agreement.department_number
        department = (
            department_label(t, ref.department(number)) if ref.has_department(number) else number
        )
        lines.append(
            t(
                "Agreement with {department}: {measure} ({status}, due {date})",
                department=department,
                measure=agreement.measure,
                status=agreement_status(t, agreement.status),
                date=format_date(agreement.due_at.astimezone(tz).date(), lang=t.language),
            )
        )
    return lines


def facts(
    t: Translator, ref: ReferenceData, view: CaseOverview, *, tz: ZoneInfo, now: datetime
) -> list[str]:
    """The card's lines, plain text (escaped by the caller)."""
    case = view.case
    lines = [t("Where: {place}", place=place_label(ref, t, case.district_number, case.quarter))]
    if case.address_text:
        lines.append(t("Address: {address}", address=case.address_text))
    lines.append(t("Topic: {topic}", topic=topic_label_of(t, ref, case.topic)))
    if case.actor_kind:
        lines.append(t("From: {org}", org=actor_label(t, case.actor_kind, case.actor_name)))
    lines.append(t("Received: {when}", when=format_moment(case.created_at, tz, lang=t.language)))
    lines.append(t("Status: {status}", status=staff_status(t, case.status)))
    lines += _handling(t, ref, view)
    lines += _next_step(t, view, tz, now)
    lines += _involved(t, ref, view, tz)
    if view.question:
        lines.append(t("Waiting for the answer to: {question}", question=view.question))
    if view.verdict is not None:
        lines.append(t("Resident's verdict: {score} of 5", score=view.verdict))
    if view.resident_erased_at is not None:
        day = format_date(view.resident_erased_at.astimezone(tz).date(), lang=t.language)
        lines.append(
            t(
                "Personal data erased on {date}: nothing can be sent to the resident any more.",
                date=day,
            )
        )
        return lines
    lines.append(t("Resident's contact: {contact}", contact=case.contact or t("none")))
    language = language_name(view.resident_language)
    lines.append(t("Resident's language: {language}", language=language))
    return lines


def card(
    t: Translator, ref: ReferenceData, view: CaseOverview, *, tz: ZoneInfo, now: datetime
) -> Reply:
    """The case with the actions its state allows."""
    case = view.case
    head = t("Concern {reference}", reference=case.reference)
    text = "\n".join(
        ["<b>" + escape(head) + "</b>", *map(escape, facts(t, ref, view, tz=tz, now=now))]
    )
    if case.description:
        text += "\n\n" + escape(case.description)
    if view.similar and "merge" in view.actions:
        refs = ", ".join(s.reference for s in view.similar)
        text += "\n\n" + escape(t("Similar open concerns: {references}", references=refs))
    return Reply(text, buttons=action_rows(t, view))


def after(confirmation: str, shown: Reply) -> Reply:
    """A confirmation on top of the card shown again (both in one message)."""
    return Reply("<i>" + escape(confirmation) + "</i>\n\n" + shown.text, buttons=shown.buttons)


def back_row(t: Translator, case_id: int) -> tuple[Button, ...]:
    """Back from a choice to the card, in the same message."""
    return (Button(t("⬅️ Back to the case"), TR.data("show", case_id, "back")),)


def stale_notice(t: Translator, reference: str, status: str) -> str:
    """A button whose action the case no longer allows (a callback answer: short)."""
    return t(
        "Already done: {reference} – status: {status}. The buttons now show what is possible.",
        reference=reference,
        status=staff_status(t, status),
    )


def reopen_question(t: Translator, case_id: int, reference: str, status: str) -> Reply:
    """Asked before a referred or resolved case is taken on again."""
    if status == CaseStatus.REFERRED:
        why = t("The resident has already received a contact.")
    else:
        why = t("The resident has already been told it is resolved.")
    body = t("Reopen {reference} as Kümmerer?", reference=reference) + " " + why
    buttons = rows(
        [Button(t("↩️ Yes, reopen"), TR.data("reopenok", case_id))],
        [Button(t("Cancel"), TR.data("show", case_id, "back"))],
    )
    return Reply(escape(body), buttons=buttons)


def resolve_preview(t: Translator, case_id: int, reference: str, resident_reads: Reply) -> Reply:
    """The resolution as the resident will read it, before anything is sent."""
    head = t("Resolve {reference}? The resident reads:", reference=reference)
    buttons = rows(
        [Button(t("✅ Yes, resolve"), TR.data("resolveok", case_id))],
        [
            Button(t("✏️ Change"), TR.data("resolveedit", case_id)),
            Button(t("Cancel"), TR.data("resolveno", case_id)),
        ],
    )
    quoted = "<blockquote>" + resident_reads.text + "</blockquote>"
    return Reply("<b>" + escape(head) + "</b>\n\n" + quoted, buttons=buttons)


def resolve_cancelled(t: Translator, reference: str) -> str:
    return t("Not resolved; nothing was sent to the resident of {reference}.", reference=reference)
