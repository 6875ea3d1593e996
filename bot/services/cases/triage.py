"""The manager's decisions on a case: Lotse or Kümmerer, questions, handover, merge,
notes, next steps, departments, resolution; and the resident's feedback.

Every change is an event; every message to someone else goes through the outbox in the
same transaction. Callers check authorisation first (`can_work_on`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from html import escape

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.messages.cases import status_label
from bot.services.access.roles import Roles, district_recipients
from bot.services.basics.env import ServiceEnv
from bot.services.basics.reference import ReferralContact
from bot.services.basics.workdays import add_working_days
from bot.services.cases.records import OPEN_STATUSES, CaseStatus, add_event
from bot.services.messaging import outbox, reminders
from bot.storage.models import Case, Person, Reminder

SIMILAR_WEEKS = 4


class TriageError(ValueError):
    """A decision that does not fit the case's state (e.g. a stale button)."""


def can_work_on(roles: Roles, case: Case) -> bool:
    return roles.can_manage_district(case.district_number)


async def similar_open_cases(session: AsyncSession, case: Case) -> list[Case]:
    """Open cases of the same quarter and topic from recent weeks: merge candidates."""
    if not case.quarter:
        return []
    rows = await session.scalars(
        select(Case)
        .where(
            Case.id != case.id if case.id is not None else true(),  # also before it is stored
            Case.district_number == case.district_number,
            Case.quarter == case.quarter,
            Case.topic == case.topic,
            Case.status.in_(OPEN_STATUSES),
            Case.created_at >= case.created_at - timedelta(weeks=SIMILAR_WEEKS),
            Case.created_at <= case.created_at,
        )
        .order_by(Case.created_at)
        .limit(3)
    )
    return list(rows)


async def _resident(session: AsyncSession, case: Case) -> Person | None:
    if case.resident_id is None:
        return None
    person = await session.get(Person, case.resident_id)
    return person if person is not None and person.telegram_id else None


async def _followers(session: AsyncSession, case: Case) -> list[Person]:
    """The case's resident and those of cases merged into it: all hear of its progress."""
    people = []
    resident = await _resident(session, case)
    if resident:
        people.append(resident)
    merged = await session.scalars(select(Case).where(Case.merged_into_id == case.id))
    for other in merged:
        follower = await _resident(session, other)
        if follower and all(follower.id != p.id for p in people):
            people.append(follower)
    return people


def tell(
    session: AsyncSession,
    env: ServiceEnv,
    person: Person,
    case: Case,
    now: datetime,
    render: object,
    buttons: list[list[dict[str, str]]] | None = None,
) -> None:
    """Queue a message for a person, rendered in their language."""
    t = env.translator(person.language or case.language)
    text = render(t) if callable(render) else str(render)
    outbox.enqueue(
        session,
        chat_id=person.telegram_id or 0,
        data=outbox.payload(text, buttons=buttons),
        now=now,
        kind="to_resident",
        case_id=case.id,
        person_id=person.id,
    )


async def _tell_status(session: AsyncSession, env: ServiceEnv, case: Case, now: datetime) -> None:
    for person in await _followers(session, case):
        tell(
            session,
            env,
            person,
            case,
            now,
            lambda t: escape(
                t(
                    "Your concern {reference} is now: {status}.",
                    reference=case.reference,
                    status=status_label(t, case.status),
                )
            ),
        )


def _first_response(case: Case, now: datetime) -> None:
    if case.first_response_at is None:
        case.first_response_at = now


def _require(case: Case, *statuses: str) -> None:
    if case.status not in statuses:
        raise TriageError(case.status)


def contact_card(t: Translator, contact: ReferralContact, note: str | None) -> str:
    """The contact a Lotse hands over, in the resident's language; only known fields."""
    lang = t.language
    lines = ["<b>" + escape(contact.name(lang)) + "</b>"]
    if contact.description(lang):
        lines.append(escape(contact.description(lang)))
    if contact.responsible:
        lines.append(escape(t("Responsible: {body}", body=contact.responsible)))
    fields = (
        (t("Phone"), contact.phone),
        (t("E-mail"), contact.email),
        (t("Address"), contact.address),
        (t("Opening hours"), contact.opening_hours),
        (t("Web"), contact.web),
    )
    lines += [f"{escape(label)}: {escape(value)}" for label, value in fields if value]
    if note:
        lines += ["", escape(note)]
    return "\n".join(lines)


async def refer(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    manager: Person,
    contact_key: str,
    note: str | None,
    now: datetime,
) -> None:
    """Lotse: hand the resident the contact card and close the case as referred."""
    _require(case, CaseStatus.NEW, CaseStatus.WAITING, CaseStatus.IN_PROGRESS)
    contact = env.reference.referral(contact_key)
    case.status, case.mode, case.referral_key = CaseStatus.REFERRED, "lotse", contact_key
    case.closed_at, case.referral_helped = now, None
    _first_response(case, now)
    await add_event(
        session,
        case,
        "referred",
        now=now,
        actor=manager,
        actor_role="manager",
        text=note,
        data={"contact": contact_key},
    )
    for person in await _followers(session, case):
        tell(
            session,
            env,
            person,
            case,
            now,
            lambda t: (
                escape(
                    t(
                        "About your concern {reference}: the right contact for it is:",
                        reference=case.reference,
                    )
                )
                + "\n\n"
                + contact_card(t, contact, note)
            ),
        )
    local_day = add_working_days(now.astimezone(env.tz).date(), env.referral_followup_working_days)
    due = datetime.combine(local_day, time(10), tzinfo=env.tz)
    await reminders.schedule(
        session,
        key=f"case:{case.id}:referral_followup:{now.isoformat()}",
        kind="referral_followup",
        due_at=due,
        now=now,
        case_id=case.id,
    )


async def take_on(
    session: AsyncSession, env: ServiceEnv, case: Case, *, manager: Person, now: datetime
) -> None:
    """Kümmerer: the manager follows the case to a solution."""
    _require(case, CaseStatus.NEW, CaseStatus.WAITING, CaseStatus.REFERRED)
    case.status, case.mode, case.closed_at = CaseStatus.IN_PROGRESS, "kuemmerer", None
    _first_response(case, now)
    await add_event(session, case, "taken_on", now=now, actor=manager, actor_role="manager")
    await _tell_status(session, env, case, now)


async def ask_resident(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    manager: Person,
    question: str,
    now: datetime,
) -> None:
    _require(case, *OPEN_STATUSES)
    case.status = CaseStatus.WAITING
    _first_response(case, now)
    await add_event(
        session, case, "question", now=now, actor=manager, actor_role="manager", text=question
    )
    await relay_to_resident(session, env, case, text=question, now=now, record=False)


async def relay_to_resident(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    text: str | None,
    now: datetime,
    photo: str | None = None,
    manager: Person | None = None,
    record: bool = True,
) -> None:
    """A message from the district management, marked with the case reference."""
    if record:
        _first_response(case, now)
        await add_event(
            session,
            case,
            "message_to_resident",
            now=now,
            actor=manager,
            actor_role="manager",
            text=text,
            data={"photo": bool(photo)},
        )
    for person in await _followers(session, case):
        t = env.translator(person.language or case.language)
        header = escape(t("District management, concern {reference}:", reference=case.reference))
        data = outbox.payload(
            header + "\n" + escape(text or ""), photos=[photo] if photo else None
        )
        outbox.enqueue(
            session,
            chat_id=person.telegram_id or 0,
            data=data,
            now=now,
            kind="to_resident",
            case_id=case.id,
            person_id=person.id,
        )


async def relay_to_managers(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    resident: Person,
    text: str | None,
    photo: str | None,
    now: datetime,
) -> None:
    """The resident's answer reaches the case and whoever handles its district now."""
    await add_event(
        session,
        case,
        "message_from_resident",
        now=now,
        actor=resident,
        actor_role="resident",
        text=text,
        data={"photo": photo} if photo else None,
    )
    if case.status == CaseStatus.WAITING:
        case.status = CaseStatus.IN_PROGRESS if case.mode == "kuemmerer" else CaseStatus.NEW
    chat_ids, _ = await district_recipients(
        session, district_number=case.district_number, now=now, admin_ids=env.admin_ids
    )
    for chat_id in chat_ids:
        t = env.translator(await _language_of(session, chat_id))
        header = escape(
            t("Answer from the resident, concern {reference}:", reference=case.reference)
        )
        body = header + "\n" + escape(text or t("(photo)"))
        outbox.enqueue(
            session,
            chat_id=chat_id,
            now=now,
            kind="from_resident",
            case_id=case.id,
            data=outbox.payload(body, photos=[photo] if photo else None),
        )


async def _language_of(session: AsyncSession, telegram_id: int) -> str | None:
    return await session.scalar(select(Person.language).where(Person.telegram_id == telegram_id))


async def hand_over(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    manager: Person,
    district_number: str,
    note: str | None,
    now: datetime,
    render_notification: object,
) -> list[int]:
    """Wrong routing: the case moves to another district, whose manager is notified."""
    _require(case, *OPEN_STATUSES)
    if not env.reference.has_district(district_number) or district_number == case.district_number:
        raise TriageError("district")
    old = case.district_number
    case.district_number, case.quarter, case.status = district_number, None, CaseStatus.NEW
    await add_event(
        session,
        case,
        "handed_over",
        now=now,
        actor=manager,
        actor_role="manager",
        text=note,
        data={"from": old, "to": district_number},
    )
    chat_ids, routed_as = await district_recipients(
        session, district_number=district_number, now=now, admin_ids=env.admin_ids
    )
    for chat_id in chat_ids:
        t = env.translator(await _language_of(session, chat_id))
        render = render_notification  # (t, case, routed_as, note) -> payload
        outbox.enqueue(
            session,
            chat_id=chat_id,
            now=now,
            kind="new_case",
            case_id=case.id,
            data=render(t, case, routed_as, note),
        )  # type: ignore[operator]
    return chat_ids


async def merge(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    into: Case,
    manager: Person,
    now: datetime,
) -> None:
    """A duplicate joins an earlier case; its resident follows the earlier one from now on."""
    _require(case, *OPEN_STATUSES)
    if into.id == case.id or into.district_number != case.district_number or into.merged_into_id:
        raise TriageError("merge")
    case.status, case.merged_into_id, case.closed_at = CaseStatus.MERGED, into.id, now
    _first_response(case, now)
    await add_event(
        session,
        case,
        "merged",
        now=now,
        actor=manager,
        actor_role="manager",
        data={"into": into.reference},
    )
    await add_event(
        session,
        into,
        "duplicate_joined",
        now=now,
        actor=manager,
        actor_role="manager",
        data={"case": case.reference},
    )
    resident = await _resident(session, case)
    if resident:
        tell(
            session,
            env,
            resident,
            case,
            now,
            lambda t: escape(
                t(
                    "Your concern {reference} is about the same matter as {other}, "
                    "which is already being handled. You will hear about its progress.",
                    reference=case.reference,
                    other=into.reference,
                )
            ),
        )


async def add_note(
    session: AsyncSession, case: Case, *, manager: Person, text: str, now: datetime
) -> None:
    """An internal note: never shown to the resident."""
    await add_event(session, case, "note", now=now, actor=manager, actor_role="manager", text=text)


async def set_next_step(
    session: AsyncSession, case: Case, *, manager: Person, text: str, due: datetime, now: datetime
) -> None:
    case.next_step, case.next_step_due = text, due
    await add_event(
        session,
        case,
        "next_step",
        now=now,
        actor=manager,
        actor_role="manager",
        text=text,
        data={"due": due.isoformat()},
    )


async def involve_department(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    manager: Person,
    number: str,
    now: datetime,
) -> None:
    if not env.reference.has_department(number):
        raise TriageError("department")
    await add_event(
        session,
        case,
        "department_involved",
        now=now,
        actor=manager,
        actor_role="manager",
        data={"department": number},
    )


async def resolve(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    manager: Person,
    summary: str,
    now: datetime,
) -> None:
    """Resolved with a summary; the resident is asked whether the concern is settled."""
    _require(case, *OPEN_STATUSES)
    case.status, case.closed_at, case.settled = CaseStatus.RESOLVED, now, None
    _first_response(case, now)
    await add_event(
        session, case, "resolved", now=now, actor=manager, actor_role="manager", text=summary
    )
    for person in await _followers(session, case):
        t = env.translator(person.language or case.language)
        text = escape(t("Your concern {reference} has been resolved:", reference=case.reference))
        text += "\n" + escape(summary) + "\n\n" + escape(t("Is your concern settled?"))
        _ask_yes_no(session, person, case, now, text, "set", t("Yes, settled"), t("No"))


async def resident_feedback(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    resident: Person,
    question: str,
    positive: bool,
    now: datetime,
) -> str:
    """The resident answers "did the contact help?" or "is it settled?".

    "No" reopens the case for the manager (a settled-question only within the reopen period).
    Returns what happened: recorded | reopened | too_late | not_asked.
    """
    if question == "ref":
        if case.status != CaseStatus.REFERRED or case.referral_helped is not None:
            return "not_asked"
        case.referral_helped = positive
        await add_event(
            session,
            case,
            "referral_feedback",
            now=now,
            actor=resident,
            actor_role="resident",
            data={"helped": positive},
        )
    else:
        if case.status != CaseStatus.RESOLVED or case.settled is not None:
            return "not_asked"
        if (
            not positive
            and case.closed_at
            and now - case.closed_at > timedelta(days=env.reopen_days)
        ):
            return "too_late"
        case.settled = positive
        await add_event(
            session,
            case,
            "settled_feedback",
            now=now,
            actor=resident,
            actor_role="resident",
            data={"settled": positive},
        )
    if positive:
        return "recorded"
    case.status = CaseStatus.NEW if question == "ref" else CaseStatus.IN_PROGRESS
    case.closed_at = None
    await add_event(session, case, "reopened", now=now, actor=resident, actor_role="resident")
    chat_ids, _ = await district_recipients(
        session, district_number=case.district_number, now=now, admin_ids=env.admin_ids
    )
    for chat_id in chat_ids:
        t = env.translator(await _language_of(session, chat_id))
        text = escape(
            t(
                "The resident reopened concern {reference}: it is not settled yet.",
                reference=case.reference,
            )
        )
        buttons = [[{"text": t("Open case"), "data": f"tr:show:{case.id}"}]]
        outbox.enqueue(
            session,
            chat_id=chat_id,
            now=now,
            kind="reopened",
            case_id=case.id,
            data=outbox.payload(text, buttons=buttons),
        )
    return "reopened"


async def render_referral_followup(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime
) -> None:
    """A few working days after a referral: did the contact help?"""
    case = await session.get(Case, reminder.case_id) if reminder.case_id else None
    if case is None or case.status != CaseStatus.REFERRED or case.referral_helped is not None:
        return
    resident = await _resident(session, case)
    if resident is None:
        return
    t = env.translator(resident.language or case.language)
    text = escape(
        t(
            "A few days ago we gave you a contact for your concern {reference}. Did it help?",
            reference=case.reference,
        )
    )
    _ask_yes_no(session, resident, case, now, text, "ref", t("Yes, it helped"), t("No"))


def _ask_yes_no(
    session: AsyncSession,
    person: Person,
    case: Case,
    now: datetime,
    text: str,
    question: str,
    yes: str,
    no: str,
) -> None:
    """A question to the resident answered with `fb:<question>:<case>:yes|no`."""
    buttons = [
        [
            {"text": yes, "data": f"fb:{question}:{case.id}:yes"},
            {"text": no, "data": f"fb:{question}:{case.id}:no"},
        ]
    ]
    outbox.enqueue(
        session,
        chat_id=person.telegram_id or 0,
        now=now,
        kind="to_resident",
        case_id=case.id,
        person_id=person.id,
        data=outbox.payload(text, buttons=buttons),
    )
