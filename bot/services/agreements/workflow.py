"""Agreements: who (department) does what (measure) by when (due date) in a district.

Statuses: open → done_reported (the rep) → done (confirmed by the manager); open ⇄
extension_requested (the manager approves or rejects a new date); open ⇄ problem; any
active status → cancelled. The escalation is `escalation_level` beside the status:
0 none, 1 the manager, 2 the coordinators. Every change is an `AgreementEvent`; every
message goes through the outbox in the same transaction. Callers check authorisation
first (`rep_may_act`, `manager_may_act`); a decision that does not fit the current status
(a stale button) raises `AgreementError("state")`.

The buttons under the messages (family `ag` of `bot.messages.callbacks`, built by
`bot.messages.agreements`) and the service each one leads to:

    to the rep (every nudge, a reopened or refused agreement):
        ag:done:<id>      report done, with an optional sentence     → report_done
        ag:more:<id>      ask for more time: a new date and a reason → request_extension
        ag:problem:<id>   report a problem (goes to the manager)     → report_problem
    to the manager:
        ag:confirm:<id>   confirm the reported "done"                → confirm_done
        ag:reopen:<id>    not done yet / problem dealt with: reopen  → reopen
        ag:approve:<id>   approve the requested date                 → decide_extension(True)
        ag:reject:<id>    reject it                                  → decide_extension(False)
    the manager's escalation card:
        ag:nudge:<id>     nudge the rep again now                    → nudge_again
        ag:redate:<id>    change the due date                        → change_due
        ag:escalate:<id>  escalate to the coordinators               → escalate(level=2)

Every message is an intent of `bot.services.agreements.notices`, carrying the agreement's id.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Role
from bot.services.agreements import notices, schedule
from bot.services.agreements.decisions import (
    cancel_agreement,
    change_due,
    confirm_done,
    decide_extension,
    escalate,
    nudge_again,
    reopen,
)
from bot.services.agreements.recipients import add_event, default_rep, tell_managers
from bot.services.agreements.rules import (
    MAX_MEASURE,
    AgreementError,
    check_can,
    check_due,
    checked_terms,
    manager_may_act,
    parse_due,
    rep_may_act,
)
from bot.services.agreements.status import ACTIVE_STATUSES, CLOSED_STATUSES, AgreementStatus
from bot.services.basics.env import ServiceEnv
from bot.storage.models import Agreement, Person, RoleAssignment

__all__ = [
    "ACTIVE_STATUSES",
    "CLOSED_STATUSES",
    "MAX_MEASURE",
    "AgreementError",
    "AgreementStatus",
    "agreements_for_manager",
    "cancel_agreement",
    "change_due",
    "check_can",
    "confirm_done",
    "create_agreement",
    "decide_extension",
    "escalate",
    "escalated",
    "get_agreement",
    "manager_may_act",
    "nudge_again",
    "open_agreements_for_rep",
    "parse_due",
    "reopen",
    "rep_may_act",
    "report_done",
    "report_problem",
    "request_extension",
]


async def get_agreement(session: AsyncSession, agreement_id: int) -> Agreement | None:
    return await session.get(Agreement, agreement_id)


# ------------------------------------------------------------------------------ create


async def create_agreement(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    district: str,
    department: str,
    measure: str,
    due: datetime,
    now: datetime,
    created_by: Person,
    rep_id: int | None = None,
    topic: str | None = None,
    case_id: int | None = None,
    action_plan_id: int | None = None,
    conference_id: int | None = None,
) -> Agreement:
    """Store an agreement, tell the manager if no rep is bound, and schedule its nudges."""
    district, department, measure = checked_terms(
        env, district=district, department=department, measure=measure, topic=topic
    )
    check_due(env, due, now)
    rep = await session.get(Person, rep_id) if rep_id is not None else None
    if rep is None:
        rep = await default_rep(session, district=district, department=department)
    agreement = Agreement(
        district_number=district,
        department_number=department,
        rep_id=rep.id if rep else None,
        measure=measure,
        topic=topic,
        due_at=due,
        status=AgreementStatus.OPEN,
        escalation_level=0,
        case_id=case_id,
        action_plan_id=action_plan_id,
        conference_id=conference_id,
        created_by_id=created_by.id,
        created_at=now,
        updated_at=now,
    )
    session.add(agreement)
    await session.flush()
    await add_event(
        session,
        agreement,
        "created",
        now=now,
        actor=created_by,
        text=measure,
        data={"due": due.isoformat(), "rep_id": agreement.rep_id},
    )
    if rep is None:
        await add_event(session, agreement, "rep_missing", now=now)
        await tell_managers(
            session, env, agreement, now=now, make=lambda card: notices.RepMissing(card=card)
        )
    await schedule.schedule_nudges(session, env, agreement, now=now)
    return agreement


# ---------------------------------------------------------------------- the rep's side


async def report_done(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    rep: Person,
    text: str | None,
    now: datetime,
) -> None:
    """The rep reports the measure done; the manager confirms or reopens."""
    check_can(agreement, "report_done")
    agreement.status, agreement.done_at = AgreementStatus.DONE_REPORTED, now
    agreement.requested_due_at, agreement.request_reason = None, None
    note = (text or "").strip() or None
    await add_event(session, agreement, "done_reported", now=now, actor=rep, text=note)

    await tell_managers(
        session,
        env,
        agreement,
        now=now,
        make=lambda card: notices.DoneReported(card=card, name=rep.first_name, note=note),
    )


async def request_extension(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    rep: Person,
    new_due: datetime,
    reason: str,
    now: datetime,
) -> None:
    """The rep asks for a later date with a reason; the manager approves or rejects."""
    check_can(agreement, "request_extension")
    check_due(env, new_due, now)
    if new_due.astimezone(env.tz).date() <= agreement.due_at.astimezone(env.tz).date():
        raise AgreementError("not_later", new_due)
    agreement.status = AgreementStatus.EXTENSION_REQUESTED
    agreement.requested_due_at, agreement.request_reason = new_due, reason.strip() or None
    await add_event(
        session,
        agreement,
        "extension_requested",
        now=now,
        actor=rep,
        text=reason,
        data={"due": new_due.isoformat()},
    )

    await tell_managers(
        session,
        env,
        agreement,
        now=now,
        make=lambda card: notices.ExtensionRequested(
            card=card, name=rep.first_name, new_due=new_due, reason=reason.strip()
        ),
    )


async def report_problem(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    rep: Person,
    text: str,
    now: datetime,
) -> None:
    """The rep cannot carry out the measure as agreed; the manager hears why."""
    check_can(agreement, "report_problem")
    agreement.status = AgreementStatus.PROBLEM
    await add_event(session, agreement, "problem_reported", now=now, actor=rep, text=text)

    await tell_managers(
        session,
        env,
        agreement,
        now=now,
        make=lambda card: notices.ProblemReported(card=card, name=rep.first_name, text=text),
    )


# ------------------------------------------------------------------------------- lists


async def agreements_for_manager(
    session: AsyncSession,
    district_numbers: set[str] | list[str],
    *,
    include_closed: bool = False,
) -> dict[str, list[Agreement]]:
    """The districts' agreements by status, each list by due date."""
    statuses = list(AgreementStatus) if include_closed else list(ACTIVE_STATUSES)
    rows = await session.scalars(
        select(Agreement)
        .where(
            Agreement.district_number.in_(list(district_numbers)), Agreement.status.in_(statuses)
        )
        .order_by(Agreement.due_at, Agreement.id)
    )
    grouped: dict[str, list[Agreement]] = defaultdict(list)
    for agreement in rows:
        grouped[agreement.status].append(agreement)
    return dict(grouped)


async def open_agreements_for_rep(session: AsyncSession, person: Person) -> list[Agreement]:
    """Active agreements naming the rep or of their department in their districts."""
    pairs = (
        await session.execute(
            select(RoleAssignment.department_number, RoleAssignment.district_number).where(
                RoleAssignment.person_id == person.id,
                RoleAssignment.role == Role.REP,
                RoleAssignment.ended_at.is_(None),
            )
        )
    ).all()
    mine = [Agreement.rep_id == person.id]
    mine += [
        and_(Agreement.department_number == dep, Agreement.district_number == dist)
        for dep, dist in pairs
        if dep is not None and dist is not None
    ]
    rows = await session.scalars(
        select(Agreement)
        .where(or_(*mine), Agreement.status.in_(list(ACTIVE_STATUSES)))
        .order_by(Agreement.due_at, Agreement.id)
    )
    return list(rows)


async def escalated(session: AsyncSession) -> list[Agreement]:
    """Active escalated agreements for the report: coordinators' first, then by due date."""
    rows = await session.scalars(
        select(Agreement)
        .where(Agreement.escalation_level > 0, Agreement.status.in_(list(ACTIVE_STATUSES)))
        .order_by(Agreement.escalation_level.desc(), Agreement.due_at, Agreement.id)
    )
    return list(rows)
