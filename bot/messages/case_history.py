"""A case's history for staff, in the reader's language: every event named, with who acted
and when (Babel dates), the next step's due date, the department's and the contact's name,
and the events of the agreements made for the case. No Telegram here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.case_view import staff_status
from bot.messages.desk import COVER_LABELS, KIND_LABELS, OTHER_EVENT, ROLE_LABELS
from bot.messages.formatting import format_date, format_moment, isolate
from bot.messages.reference import department_label
from bot.messages.referrals import referral_name
from bot.messages.reply import Button, Reply, rows
from bot.services.basics.reference import ReferenceData
from bot.services.cases.overview import AgreementStep
from bot.storage.models import Case, CaseEvent, Person

MAX_CHUNK = 3500  # below Telegram's 4096, leaving room for the HTML tags
AGREEMENT_KINDS = {
    "created": N_("agreed"),
    "rep_assigned": N_("representative assigned"),
    "rep_missing": N_("no representative bound"),
    "rep_unreachable": N_("representative unreachable"),
    "done_reported": N_("reported done"),
    "confirmed": N_("confirmed as done"),
    "reopened": N_("reopened"),
    "extension_requested": N_("more time requested"),
    "extension_approved": N_("more time granted"),
    "extension_rejected": N_("more time refused"),
    "due_changed": N_("due date changed"),
    "problem_reported": N_("problem reported"),
    "nudged": N_("representative reminded"),
    "escalated": N_("escalated"),
    "cancelled": N_("cancelled"),
}
ERASURE_REASONS = {
    "request": N_("at the resident's request"),
    "retention": N_("after the retention period"),
}
FEEDBACK = {
    ("referral_feedback", True): N_("the contact helped"),
    ("referral_feedback", False): N_("the contact did not help"),
    ("settled_feedback", True): N_("settled"),
    ("settled_feedback", False): N_("not settled"),
}


def actor_label(t: Translator, case: Case, event: CaseEvent, actor: Person | None) -> str:
    # A resident is never shown by name or Telegram account, only by their role.
    if event.actor_role == "resident" or (actor is not None and actor.id == case.resident_id):
        return t("resident")
    if actor is None and event.actor_role is None:
        return t("system")
    role = event.actor_role or ""
    label = t(ROLE_LABELS[role]) if role in ROLE_LABELS else t(OTHER_EVENT)
    name = actor.first_name if actor is not None and actor.first_name else ""
    return f"{label} {isolate(t, name)}".strip()


def _day(t: Translator, value: Any, tz: ZoneInfo, *, with_time: bool | None = None) -> str | None:
    """A stored ISO moment as the reader's date (with the time unless it is midnight, or as
    `with_time` says); None when there is none."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return format_date(moment, lang=t.language, with_time=with_time)


def _department(t: Translator, ref: ReferenceData, number: Any) -> str:
    number = str(number or "")
    return department_label(t, ref.department(number)) if ref.has_department(number) else number


def _detail(t: Translator, ref: ReferenceData, event: CaseEvent, tz: ZoneInfo) -> str | None:
    """What the event's data adds to its name: a due date, a name, a reference."""
    data = event.data or {}
    kind = event.kind
    if kind == "routed" and data.get("to") in COVER_LABELS:
        return t("manager") if data["to"] == "manager" else t(COVER_LABELS[data["to"]])
    if kind == "next_step" and data.get("due"):
        day = _day(t, data["due"], tz)
        return t("due {date}", date=day) if day else None
    if kind == "department_involved":
        return _department(t, ref, data.get("department"))
    if kind == "referred" and data.get("contact"):
        contacts = {r.key: r for r in ref.referrals}
        contact = contacts.get(str(data["contact"]))
        return referral_name(t, contact) if contact is not None else str(data["contact"])
    if kind == "personal_data_erased" and data.get("reason") in ERASURE_REASONS:
        return t(ERASURE_REASONS[data["reason"]])
    if kind == "merged" and data.get("into"):
        return str(data["into"])
    if kind == "duplicate_joined" and data.get("case"):
        return str(data["case"])
    if kind == "handed_over" and "from" in data and "to" in data:
        names = [
            ref.district(d).name if ref.has_district(d) else str(d)
            for d in (data["from"], data["to"])
        ]
        return f"{names[0]} → {names[1]}"
    if "from" in data and "to" in data:
        return f"{staff_status(t, str(data['from']))} → {staff_status(t, str(data['to']))}"
    if kind == "verdict" and isinstance(data.get("score"), int):
        return t("{score} of 5", score=data["score"])
    if kind == "verdict_quoting" and isinstance(data.get("quotable"), bool):
        return t("allowed") if data["quotable"] else t("not allowed, only counted")
    answer = data.get("helped", data.get("settled"))
    if isinstance(answer, bool) and (kind, answer) in FEEDBACK:
        return t(FEEDBACK[(kind, answer)])
    return None


def event_label(t: Translator, ref: ReferenceData, event: CaseEvent, tz: ZoneInfo) -> str:
    """The event's name in the reader's language, with what its data adds."""
    label = t(KIND_LABELS.get(event.kind, OTHER_EVENT))
    detail = _detail(t, ref, event, tz)
    if detail is None:
        return label
    detail = isolate(t, detail)  # a name or reference keeps its direction in Arabic
    return f"{label} → {detail}" if event.kind == "routed" else f"{label}: {detail}"


def event_lines(
    t: Translator,
    ref: ReferenceData,
    case: Case,
    event: CaseEvent,
    actor: Person | None,
    tz: ZoneInfo,
) -> list[str]:
    when = format_moment(event.created_at, tz, lang=t.language)
    who = actor_label(t, case, event, actor)
    lines = [f"<b>{escape(when)}</b> · {escape(who)} · {escape(event_label(t, ref, event, tz))}"]
    if event.text:
        lines.append("  " + escape(event.text))
    return lines


def agreement_lines(
    t: Translator, ref: ReferenceData, step: AgreementStep, tz: ZoneInfo
) -> list[str]:
    event, agreement = step.event, step.agreement
    when = format_moment(event.created_at, tz, lang=t.language)
    name = step.actor.first_name if step.actor is not None else None
    who = isolate(t, name) if name else t("system")
    what = t(AGREEMENT_KINDS.get(event.kind, OTHER_EVENT))
    label = t(
        "agreement with {department}: {what}",
        department=_department(t, ref, agreement.department_number),
        what=what,
    )
    data = event.data or {}
    due = data.get("due") or data.get("to")
    day = _day(t, due, tz, with_time=False) if due else None  # agreements are due on a day
    if day:
        label += " – " + t("due {date}", date=day)
    lines = [f"<b>{escape(when)}</b> · {escape(who)} · {escape(label)}"]
    if event.text:
        lines.append("  " + escape(event.text))
    return lines


def history_lines(
    t: Translator,
    ref: ReferenceData,
    case: Case,
    events: Iterable[tuple[CaseEvent, Person | None]],
    steps: Iterable[AgreementStep],
    tz: ZoneInfo,
) -> list[str]:
    """The lines of a case's history (HTML), the case's and its agreements' events by time."""
    entries: list[tuple[datetime, int, list[str]]] = [
        (event.created_at, 0, event_lines(t, ref, case, event, actor, tz))
        for event, actor in events
    ]
    entries += [(s.event.created_at, 1, agreement_lines(t, ref, s, tz)) for s in steps]
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    head = t("History of {reference}", reference=case.reference)
    return ["<b>" + escape(head) + "</b>", *(line for _, _, lines in entries for line in lines)]


def chunks(lines: list[str], limit: int = MAX_CHUNK) -> list[str]:
    """Lines joined into messages of at most `limit` characters."""
    found: list[str] = []
    block: list[str] = []
    for line in lines:
        if block and sum(len(x) + 1 for x in block) + len(line) > limit:
            found.append("\n".join(block))
            block = []
        block.append(line[:limit])
    if block:
        found.append("\n".join(block))
    return found


def history(
    t: Translator,
    ref: ReferenceData,
    case: Case,
    events: Iterable[tuple[CaseEvent, Person | None]],
    steps: Iterable[AgreementStep],
    tz: ZoneInfo,
) -> list[Reply]:
    """The history in messages; the last one leads back to the case's card."""
    texts = chunks(history_lines(t, ref, case, events, steps, tz))
    back = rows([Button(t("Open case"), callbacks.TRIAGE.data("show", case.id))])
    return [
        Reply(text, buttons=back if i == len(texts) - 1 else ()) for i, text in enumerate(texts)
    ]
