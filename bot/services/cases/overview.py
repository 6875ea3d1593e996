"""Everything a case card shows, read in one go: the case, what may be done with it now, who
is its Kümmerer, the departments involved, the open question, the case it joined, similar
open cases, its agreements; and its whole history with the agreements' events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.cases import actions
from bot.services.cases.desk import case_history
from bot.services.cases.records import CaseStatus
from bot.services.cases.triage import similar_open_cases
from bot.storage.models import Agreement, AgreementEvent, Case, CaseEvent, Person

CARETAKING = ("taken_on", "reopened_by_manager")  # the events that make someone the Kümmerer


@dataclass(frozen=True)
class CaseOverview:
    case: Case
    actions: frozenset[str]
    caretaker: str | None  # the Kümmerer's first name
    departments: tuple[str, ...]  # numbers, in the order they were involved
    question: str | None  # the question the case waits on
    merged_into: Case | None
    similar: tuple[Case, ...]  # merge candidates, while the case is undecided
    agreements: tuple[Agreement, ...]
    resident_language: str  # the language the resident reads
    resident_erased_at: datetime | None = None  # nothing can be sent to them any more
    verdict: int | None = None  # the resident's verdict after closing, 1–5


@dataclass(frozen=True)
class AgreementStep:
    """One event of an agreement made for the case."""

    event: AgreementEvent
    agreement: Agreement
    actor: Person | None


async def load(session: AsyncSession, case: Case) -> CaseOverview:
    events = list(
        await session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    )
    caretaker = None
    taken = [e for e in events if e.kind in CARETAKING]
    if taken and taken[-1].actor_id is not None:
        person = await session.get(Person, taken[-1].actor_id)
        caretaker = person.first_name if person is not None else None
    departments: list[str] = []
    for event in events:
        number = str((event.data or {}).get("department") or "")
        if event.kind == "department_involved" and number and number not in departments:
            departments.append(number)
    questions = [e.text for e in events if e.kind == "question"]
    scores = [(e.data or {}).get("score") for e in events if e.kind == "verdict"]
    question = questions[-1] if questions and case.status == CaseStatus.WAITING else None
    allowed = actions.allowed(case)
    merged_into = await session.get(Case, case.merged_into_id) if case.merged_into_id else None
    similar = await similar_open_cases(session, case) if "merge" in allowed else []
    agreements = await session.scalars(
        select(Agreement).where(Agreement.case_id == case.id).order_by(Agreement.id)
    )
    resident = await session.get(Person, case.resident_id) if case.resident_id else None
    return CaseOverview(
        case=case,
        actions=allowed,
        caretaker=caretaker,
        departments=tuple(departments),
        question=question,
        merged_into=merged_into,
        similar=tuple(similar),
        agreements=tuple(agreements),
        resident_language=(resident.language if resident else None) or case.language,
        resident_erased_at=resident.erased_at if resident else None,
        verdict=scores[-1] if scores and isinstance(scores[-1], int) else None,
    )


async def history(
    session: AsyncSession, case: Case
) -> tuple[list[tuple[CaseEvent, Person | None]], list[AgreementStep]]:
    """Every event of the case and of its agreements, oldest first, with who acted."""
    events = await case_history(session, case=case)
    steps = await session.execute(
        select(AgreementEvent, Agreement, Person)
        .join(Agreement, Agreement.id == AgreementEvent.agreement_id)
        .outerjoin(Person, Person.id == AgreementEvent.actor_id)
        .where(Agreement.case_id == case.id)
        .order_by(AgreementEvent.id)
    )
    return (
        events,
        [AgreementStep(event, agreement, actor) for event, agreement, actor in steps.tuples()],
    )
