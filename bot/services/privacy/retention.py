"""Retention: cases closed longer than the retention period are pseudonymised, and their
residents once nothing of theirs holds personal data any more."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.privacy.erasure import ERASED_EVENT, ErasureReport, forget_person, scrub_case
from bot.storage.models import Case, CaseEvent, Person, RoleAssignment


@dataclass
class RetentionReport:
    cases: int = 0
    persons: int = 0
    telegram_ids: list[int] = field(default_factory=list)  # to drop in-memory user data


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's end)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


async def apply_retention(session: AsyncSession, *, now: datetime, months: int) -> RetentionReport:
    """Pseudonymise cases closed more than `months` ago, and their residents once nothing
    of theirs is left that still holds personal data (and they hold no role)."""
    cutoff = months_before(now, months)
    report = RetentionReport()
    scrubbed = select(CaseEvent.case_id).where(CaseEvent.kind == ERASED_EVENT)
    candidates = await session.scalars(
        select(Case)
        .where(Case.closed_at.is_not(None), Case.closed_at < cutoff, Case.id.not_in(scrubbed))
        .order_by(Case.id)
    )
    residents: dict[int, Person] = {}
    counts = ErasureReport()
    for case in list(candidates):
        if case.merged_into_id is not None:
            # A merged report lives on in the case it joined; it ages with that one.
            target = await session.get(Case, case.merged_into_id)
            if target is not None and (target.closed_at is None or target.closed_at >= cutoff):
                continue
        resident = await session.get(Person, case.resident_id) if case.resident_id else None
        await scrub_case(
            session,
            case,
            now=now,
            reason="retention",
            resident_chat=resident.telegram_id if resident else None,
            report=counts,
        )
        if resident is not None and resident.erased_at is None:
            residents[resident.id] = resident
    report.cases = counts.cases
    if residents:
        await session.flush()
    for resident in residents.values():
        if await session.scalar(
            select(RoleAssignment.id).where(RoleAssignment.person_id == resident.id).limit(1)
        ):
            continue
        remaining = await session.scalar(
            select(Case.id)
            .where(Case.resident_id == resident.id, Case.id.not_in(scrubbed))
            .limit(1)
        )
        if remaining is not None:
            continue
        if resident.telegram_id is not None:
            report.telegram_ids.append(resident.telegram_id)
        await forget_person(session, resident, now=now, report=counts)
        report.persons += 1
    return report


async def pseudonymise_closed_cases(session: AsyncSession, *, now: datetime, months: int) -> int:
    """The daily retention run; returns how many cases were pseudonymised."""
    return (await apply_retention(session, now=now, months=months)).cases
