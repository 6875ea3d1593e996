"""A case the manager follows: questions and messages both ways, internal notes, next steps,
departments involved, and the resolution. Callers check authorisation first."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.basics.env import ServiceEnv
from bot.services.cases.records import OPEN_STATUSES, CaseStatus, add_event
from bot.services.cases.triage import (
    TriageError,
    first_response,
    queue_for,
    reachable_followers,
    require,
    tell_district,
    tell_followers,
)
from bot.services.cases.triage_notices import FromManagement, FromResident, Resolved
from bot.services.messaging.outcome import Relayed
from bot.storage.models import Case, CaseEvent, Person

# What the district management said to the resident: the resident's free text may answer it.
STAFF_TO_RESIDENT = ("message_to_resident", "question", "referred", "resolved")


async def ask_resident(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    manager: Person,
    question: str,
    now: datetime,
) -> Relayed:
    """A question to the resident; the case waits for the answer (not when the resident
    cannot be written to: then nothing changes)."""
    require(case, OPEN_STATUSES)
    _, reason = await reachable_followers(session, case)
    if reason is not None:
        return Relayed(unreachable=reason)
    case.status = CaseStatus.WAITING
    first_response(case, now)
    await add_event(
        session, case, "question", now=now, actor=manager, actor_role="manager", text=question
    )
    return await relay_to_resident(
        session, env, case, text=question, now=now, manager=manager, record=False
    )


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
) -> Relayed:
    """A message from the district management, marked with the case reference.

    With a `manager` the rows are theirs: queued to be sent at once by the caller
    (`delivery.deliver_and_observe`, which tells them the outcome) and reported to them if
    they fail later. When nobody can be written to, nothing is queued or recorded.
    """
    people, reason = await reachable_followers(session, case)
    if reason is not None:
        return Relayed(unreachable=reason)
    if record:
        first_response(case, now)
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
    intent = FromManagement(reference=case.reference, text=text, photo=photo)
    return Relayed(queue_for(session, people, case, intent, now, sender=manager))


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
    intent = FromResident(reference=case.reference, text=text, photo=photo)
    await tell_district(session, env, case, intent, now=now, kind="from_resident")


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
    require(case, OPEN_STATUSES)
    case.status, case.closed_at, case.settled = CaseStatus.RESOLVED, now, None
    first_response(case, now)
    await add_event(
        session, case, "resolved", now=now, actor=manager, actor_role="manager", text=summary
    )
    intent = Resolved(case_id=case.id, reference=case.reference, summary=summary)
    await tell_followers(session, case, intent, now)


async def reply_candidates(
    session: AsyncSession, *, resident_id: int, now: datetime, window_days: int
) -> list[Case]:
    """The cases a resident's free text may answer, newest staff message first: those the
    management wrote to within the window, and those waiting for an answer. A merged case
    stands for the case it joined."""
    newest = func.max(CaseEvent.created_at)
    since = now - timedelta(days=window_days)
    query = (
        select(Case, newest)
        .outerjoin(
            CaseEvent,
            (CaseEvent.case_id == Case.id)
            & CaseEvent.kind.in_(STAFF_TO_RESIDENT)
            & (CaseEvent.created_at >= since),
        )
        .where(Case.resident_id == resident_id)
        .group_by(Case.id)
        .having(or_(newest.is_not(None), Case.status == CaseStatus.WAITING))
        .order_by(newest.desc().nulls_last(), Case.id.desc())
    )
    found: list[Case] = []
    for case, _ in (await session.execute(query)).all():
        target = await session.get(Case, case.merged_into_id) if case.merged_into_id else case
        if target is not None and target not in found:
            found.append(target)
    return found


async def open_cases_of(session: AsyncSession, *, resident_id: int, limit: int = 8) -> list[Case]:
    """The resident's open cases, newest first."""
    rows = await session.scalars(
        select(Case)
        .where(Case.resident_id == resident_id, Case.status.in_(OPEN_STATUSES))
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return list(rows)
