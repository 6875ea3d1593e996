"""The manager's first decisions on a case: Lotse or Kümmerer, handover, merge.

Every change is an event; every message to someone else is an intent in the outbox, written
in the same transaction. Callers check authorisation first (`can_work_on`). Notes, next
steps, messages and resolution are in `casework`; the resident's feedback in `feedback`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Roles, district_recipients
from bot.services.basics.env import ServiceEnv
from bot.services.basics.reference import ReferralContact
from bot.services.basics.workdays import add_working_days
from bot.services.cases.new_case import SimilarCase
from bot.services.cases.records import OPEN_STATUSES, CaseStatus, add_event
from bot.services.cases.triage_notices import (
    CaseCard,
    HandedOver,
    Merged,
    Referred,
    StatusChanged,
)
from bot.services.messaging import outbox, reminders
from bot.services.messaging.intents import Intent
from bot.services.messaging.outcome import NO_CHAT, Relayed, why_unreachable
from bot.services.network import lotse
from bot.storage.models import Case, OutboxMessage, Person

SIMILAR_WEEKS = 4
# A case the manager may still refer, take on, ask about or work on.
DECIDABLE = (CaseStatus.NEW, CaseStatus.WAITING, CaseStatus.IN_PROGRESS)


class TriageError(ValueError):
    """A decision that does not fit the case's state (e.g. a stale button)."""


def can_work_on(roles: Roles, case: Case) -> bool:
    return roles.can_manage_district(case.district_number)


def require(case: Case, statuses: Sequence[str] = DECIDABLE) -> None:
    """Raise TriageError unless the case is in one of `statuses`."""
    if case.status not in statuses:
        raise TriageError(case.status)


async def check_contact(
    session: AsyncSession, env: ServiceEnv, case: Case, contact_key: str
) -> ReferralContact:
    """A Lotse may hand over this directory entry now (one for residents serving the case's
    district, the case still open); the card the resident would get."""
    entry = await lotse.referable_entry(session, contact_key, case.district_number)
    if entry is None:
        raise TriageError("contact")
    require(case)
    return lotse.card_of(entry)


def check_handover(env: ServiceEnv, case: Case, district_number: str) -> None:
    """The case may move to this district (a known, other one)."""
    if not env.reference.has_district(district_number) or district_number == case.district_number:
        raise TriageError("district")
    require(case, OPEN_STATUSES)


def _similar(*columns: Any) -> Any:
    """Open cases of a quarter and topic from the weeks before a moment, oldest first (at
    most 3); built once, with the case itself left out by its id (0 before it is stored)."""
    return (
        select(*columns)
        .where(
            Case.id != bindparam("case_id"),
            Case.district_number == bindparam("district"),
            Case.quarter == bindparam("quarter"),
            Case.topic == bindparam("topic"),
            Case.status.in_(OPEN_STATUSES),
            Case.created_at >= bindparam("since", type_=Case.__table__.c.created_at.type),
            Case.created_at <= bindparam("until", type_=Case.__table__.c.created_at.type),
        )
        .order_by(Case.created_at)
        .limit(3)
    )


_SIMILAR_CASES = _similar(Case)
_SIMILAR_REFERENCES = _similar(Case.__table__.c.id, Case.__table__.c.reference)


def _similar_values(case: Case) -> dict[str, Any]:
    return {"case_id": case.id or 0, "district": case.district_number, "quarter": case.quarter,
            "topic": case.topic, "since": case.created_at - timedelta(weeks=SIMILAR_WEEKS),
            "until": case.created_at}  # fmt: skip


async def similar_open_cases(session: AsyncSession, case: Case) -> list[Case]:
    """Open cases of the same quarter and topic from recent weeks: merge candidates."""
    if not case.quarter:
        return []
    return list(await session.scalars(_SIMILAR_CASES, _similar_values(case)))


async def similar_open(session: AsyncSession, case: Case) -> list[SimilarCase]:
    """`similar_open_cases` as their ids and numbers only (for a new case's card)."""
    if not case.quarter:
        return []
    rows = await session.execute(_SIMILAR_REFERENCES, _similar_values(case))
    return [SimilarCase(case_id, reference) for case_id, reference in rows]


async def resident_of(session: AsyncSession, case: Case) -> Person | None:
    """The case's resident, if they can be written to."""
    if case.resident_id is None:
        return None
    person = await session.get(Person, case.resident_id)
    return person if person is not None and person.telegram_id else None


async def followers(session: AsyncSession, case: Case) -> list[Person]:
    """The case's resident and those of cases merged into it: all hear of its progress."""
    people = []
    resident = await resident_of(session, case)
    if resident:
        people.append(resident)
    merged = await session.scalars(select(Case).where(Case.merged_into_id == case.id))
    for other in merged:
        follower = await resident_of(session, other)
        if follower and all(follower.id != p.id for p in people):
            people.append(follower)
    return people


def tell_resident(
    session: AsyncSession,
    person: Person,
    case: Case,
    intent: Intent,
    now: datetime,
    *,
    sender_id: int | None = None,
    backup_for: float | None = None,
) -> OutboxMessage:
    """Queue an intent for a resident, in their language (else the case's); `sender_id` and
    `backup_for` for a message sent at once and confirmed to its sender (`outcome`)."""
    return outbox.tell(
        session,
        chat_id=person.telegram_id or 0,
        intent=intent,
        now=now,
        kind="to_resident",
        case_id=case.id,
        person_id=person.id,
        language=case.language,
        sender_id=sender_id,
        backup_for=backup_for,
    )


async def reachable_followers(
    session: AsyncSession, case: Case
) -> tuple[list[Person], str | None]:
    """The followers a message can be tried with, else why there are none."""
    people = [p for p in await followers(session, case) if why_unreachable(p) is None]
    if people:
        return people, None
    resident = await session.get(Person, case.resident_id) if case.resident_id else None
    return [], why_unreachable(resident) if case.resident_id else NO_CHAT


def queue_for(
    session: AsyncSession,
    people: list[Person],
    case: Case,
    intent: Intent,
    now: datetime,
    *,
    sender: Person | None,
) -> list[OutboxMessage]:
    """Queue `intent` for each of `people`; with a `sender`, as theirs: sent at once by the
    caller (`delivery.deliver_and_observe`) and reported to them if it fails later."""
    sender_id = sender.id if sender is not None else None
    backup = outbox.BACKUP_SECONDS if sender is not None else None
    return [
        tell_resident(session, p, case, intent, now, sender_id=sender_id, backup_for=backup)
        for p in people
    ]


async def tell_followers(session: AsyncSession, case: Case, intent: Intent, now: datetime) -> None:
    for person in await followers(session, case):
        tell_resident(session, person, case, intent, now)


async def tell_district(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    intent: Intent,
    *,
    now: datetime,
    kind: str,
) -> None:
    """Queue an intent for whoever handles the case's district now."""
    chat_ids, _ = await district_recipients(
        session, district_number=case.district_number, now=now, admin_ids=env.admin_ids
    )
    for chat_id in chat_ids:
        outbox.tell(session, chat_id=chat_id, intent=intent, now=now, kind=kind, case_id=case.id)


def first_response(case: Case, now: datetime) -> None:
    if case.first_response_at is None:
        case.first_response_at = now


async def refer(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    manager: Person,
    contact_key: str,
    note: str | None,
    now: datetime,
) -> Relayed:
    """Lotse: hand the resident the contact card (sent at once by the caller, see
    `queue_for`) and close the case as referred; a resident who cannot be written to is
    referred all the same (the case's outcome), and the caller says the card did not go."""
    card = await check_contact(session, env, case, contact_key)
    case.status, case.mode, case.referral_key = CaseStatus.REFERRED, "lotse", contact_key
    case.closed_at, case.referral_helped = now, None
    first_response(case, now)
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
    entry = await lotse.referable_entry(session, contact_key, case.district_number)
    if entry is not None:
        await lotse.record_referral(session, entry, case, manager=manager, now=now)
    intent = Referred(reference=case.reference, contact_key=contact_key, note=note, card=card)
    people, reason = await reachable_followers(session, case)
    relayed = Relayed(queue_for(session, people, case, intent, now, sender=manager), reason)
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
    return relayed


async def take_on(
    session: AsyncSession, env: ServiceEnv, case: Case, *, manager: Person, now: datetime
) -> None:
    """Kümmerer: the manager follows the case to a solution."""
    require(case, (CaseStatus.NEW, CaseStatus.WAITING, CaseStatus.REFERRED))
    case.status, case.mode, case.closed_at = CaseStatus.IN_PROGRESS, "kuemmerer", None
    first_response(case, now)
    await add_event(session, case, "taken_on", now=now, actor=manager, actor_role="manager")
    intent = StatusChanged(reference=case.reference, status=str(case.status))
    await tell_followers(session, case, intent, now)


async def reopen(
    session: AsyncSession, env: ServiceEnv, case: Case, *, manager: Person, now: datetime
) -> None:
    """A referred or resolved case taken on again: the manager becomes its Kümmerer (the
    resident already had a contact or an answer, so the manager confirmed this first)."""
    require(case, (CaseStatus.REFERRED, CaseStatus.RESOLVED))
    old = case.status
    case.status, case.mode, case.closed_at = CaseStatus.IN_PROGRESS, "kuemmerer", None
    await add_event(
        session,
        case,
        "reopened_by_manager",
        now=now,
        actor=manager,
        actor_role="manager",
        data={"from": str(old), "to": str(case.status)},
    )
    intent = StatusChanged(reference=case.reference, status=str(case.status))
    await tell_followers(session, case, intent, now)


def case_card(case: Case) -> CaseCard:
    return CaseCard(
        id=case.id,
        reference=case.reference,
        district_number=case.district_number,
        topic=case.topic,
        created_at=case.created_at,
        description=case.description,
        address_text=case.address_text,
        contact=case.contact,
        actor_kind=case.actor_kind,
        actor_name=case.actor_name,
        latitude=case.latitude,
        longitude=case.longitude,
    )


async def hand_over(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    manager: Person,
    district_number: str,
    note: str | None,
    now: datetime,
) -> list[int]:
    """Wrong routing: the case moves to another district, whose manager is notified."""
    check_handover(env, case, district_number)
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
    intent = HandedOver(case=case_card(case), routed_as=routed_as, note=note)
    for chat_id in chat_ids:
        outbox.tell(
            session, chat_id=chat_id, intent=intent, now=now, kind="new_case", case_id=case.id
        )
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
    require(case, OPEN_STATUSES)
    if into.id == case.id or into.district_number != case.district_number or into.merged_into_id:
        raise TriageError("merge")
    case.status, case.merged_into_id, case.closed_at = CaseStatus.MERGED, into.id, now
    first_response(case, now)
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
    resident = await resident_of(session, case)
    if resident:
        intent = Merged(reference=case.reference, other=into.reference)
        tell_resident(session, resident, case, intent, now)
