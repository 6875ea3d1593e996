"""The coming reminders (nudges, follow-ups, escalations) as a list: who gets what and when.
Shared by `/erinnerungen` and `bezirksbot reminders`. No Telegram here."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.messages.formatting import format_moment
from bot.messages.reference import department_label
from bot.messages.reply import Reply
from bot.services.basics.reference import ReferenceData
from bot.services.messaging.reminders import Upcoming

WHAT = {
    "agr_nudge": N_("Reminder of an agreement"),
    "agr_overdue": N_("Overdue notice of an agreement"),
    "agr_escalate_manager": N_("Escalation of an agreement"),
    "agr_escalate_coordinators": N_("Escalation of an agreement"),
    "referral_followup": N_("Follow-up: did the contact help?"),
    "conference_reminder": N_("Reminder of a conference"),
    "brt_nudge": N_("Reminder of a council statement"),
    "brt_escalate_manager": N_("Escalation of a council statement"),
    "brt_escalate_coordinators": N_("Escalation of a council statement"),
}


def _department(t: Translator, reference: ReferenceData, number: str | None) -> str:
    if number is None:
        return "?"
    try:
        return department_label(t, reference.department(number))
    except KeyError:
        return t("Department {number}", number=number)


def _who(t: Translator, reference: ReferenceData, item: Upcoming) -> str:
    if item.kind in ("agr_nudge", "agr_overdue"):
        department = _department(t, reference, item.department)
        if item.rep_name:
            return t("{name}, representative of {department}", name=item.rep_name,
                     department=department)  # fmt: skip
        return t("the representative of {department}", department=department)
    if item.kind in ("agr_escalate_manager", "brt_escalate_manager"):
        return t("the district management")
    if item.kind in ("agr_escalate_coordinators", "brt_escalate_coordinators"):
        return t("the coordination unit")
    if item.kind == "brt_nudge":
        return t("the department's representative")
    if item.kind == "referral_followup":
        return t("the resident")
    return t("the invited departments")


def _about(t: Translator, item: Upcoming, tz: ZoneInfo) -> str:
    if item.measure is not None:
        measure = item.measure if len(item.measure) <= 60 else item.measure[:59] + "…"
        return f"„{measure}“"
    if item.case_reference is not None:
        return t("case {reference}", reference=item.case_reference)
    if item.conference_start is not None:
        return t("on {date}", date=format_moment(item.conference_start, tz, lang=t.language))
    return ""


def line(t: Translator, reference: ReferenceData, item: Upcoming, tz: ZoneInfo) -> str:
    """One reminder in plain text: when – what – for whom – about what."""
    when = format_moment(item.due_at, tz, lang=t.language)
    about = _about(t, item, tz)
    text = t("{when}: {what} to {who}", when=when, what=t(WHAT[item.kind]),
             who=_who(t, reference, item))  # fmt: skip
    return text + (f" ({about})" if about else "")


def heading(t: Translator, days: int, count: int) -> str:
    if count == 0:
        return t.plural(
            "No reminders are due in the next {count} day.",
            "No reminders are due in the next {count} days.",
            days,
        )
    return t.plural(
        "Reminders of the next {count} day ({found}):",
        "Reminders of the next {count} days ({found}):",
        days,
        found=count,
    )


def listing(
    t: Translator, reference: ReferenceData, items: Sequence[Upcoming], *, days: int, tz: ZoneInfo
) -> Reply:
    """The chat message of `/erinnerungen`."""
    lines = [escape(heading(t, days, len(items)))]
    lines += ["• " + escape(line(t, reference, item, tz)) for item in items[:40]]
    if len(items) > 40:
        lines.append(escape(t("… and {count} more.", count=len(items) - 40)))
    return Reply("\n".join(lines))
