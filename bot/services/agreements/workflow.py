"""Agreements: who (department) does what (measure) by when (due date) in a district.

Statuses: open → done_reported (the rep) → done (confirmed by the manager); open ⇄
extension_requested (the manager approves or rejects a new date); open ⇄ problem; any
active status → cancelled. The escalation is `escalation_level` beside the status:
0 none, 1 the manager, 2 the coordinators. Every change is an `AgreementEvent`; every
message goes through the outbox in the same transaction. Callers check authorisation
first (`rep_may_act`, `manager_may_act`); a decision that does not fit the current status
(a stale button) raises `AgreementError("state")`.

Callback data in the outbox payloads (the Telegram handlers match exactly these):

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

Outbox payloads also carry "agreement_id" (and "reminder_key" for nudges).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.services.access.roles import Role, Roles
from bot.services.agreements import nudges
from bot.services.agreements.nudges import (
    ACTIVE_STATUSES,
    CLOSED_STATUSES,
    AgreementStatus,
    add_event,
    tell_managers,
    tell_rep,
)
from bot.services.basics.dates import DateParseError, format_date, parse_german_date
from bot.services.basics.env import ServiceEnv
from bot.storage.models import Agreement, Person, RoleAssignment

__all__ = [
    "ACTIVE_STATUSES",
    "CLOSED_STATUSES",
    "AgreementError",
    "AgreementStatus",
    "agreements_for_manager",
    "cancel_agreement",
    "change_due",
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

MAX_MEASURE = 2000


class AgreementError(ValueError):
    """Input or a decision that cannot be used; `reason` tells the caller which answer to give.

    Reasons: district, department, topic, measure, past, unparseable, empty, not_later,
    state, level.
    """

    def __init__(self, reason: str, value: datetime | None = None) -> None:
        self.reason, self.value = reason, value
        super().__init__(reason)


# ------------------------------------------------------------------------ authorisation


def rep_may_act(roles: Roles, agreement: Agreement) -> bool:
    """The named rep, or a rep of the agreement's department for the agreement's district."""
    if roles.person_id is not None and roles.person_id == agreement.rep_id:
        return True
    return any(
        a.role == Role.REP
        and a.department_number == agreement.department_number
        and a.district_number == agreement.district_number
        for a in roles.assignments
    )


def manager_may_act(roles: Roles, agreement: Agreement) -> bool:
    return roles.can_manage_district(agreement.district_number)


# --------------------------------------------------------------------------- validation


def _department(number: str) -> str:
    number = number.strip()
    return str(int(number)) if number.isdigit() else number


def _check_due(env: ServiceEnv, due: datetime, now: datetime) -> None:
    if due.tzinfo is None:
        raise ValueError("an aware datetime is required")
    if due.astimezone(env.tz).date() < now.astimezone(env.tz).date():
        raise AgreementError("past", due)


def parse_due(text: str, *, env: ServiceEnv, now: datetime) -> datetime:
    """A due date typed in German (the same parser as everywhere); past dates are refused."""
    try:
        return parse_german_date(text, now=now, tz=env.tz).value
    except DateParseError as error:
        raise AgreementError(error.reason, error.value) from None


def _require(agreement: Agreement, *statuses: str) -> None:
    if agreement.status not in statuses:
        raise AgreementError("state")


def _date(env: ServiceEnv, t: Translator, moment: datetime) -> str:
    return format_date(moment.astimezone(env.tz), lang=t.language)


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
    if not env.reference.has_district(district):
        raise AgreementError("district")
    district = env.reference.district(district).number
    if not env.reference.has_department(department):
        raise AgreementError("department")
    department = _department(department)
    if topic is not None and not env.reference.has_topic(topic):
        raise AgreementError("topic")
    measure = measure.strip()
    if not measure or len(measure) > MAX_MEASURE:
        raise AgreementError("measure")
    _check_due(env, due, now)
    rep = await session.get(Person, rep_id) if rep_id is not None else None
    if rep is None:
        rep = await nudges.default_rep(session, district=district, department=department)
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
            session,
            env,
            agreement,
            now=now,
            render=lambda t: (
                "⚠️ "
                + escape(
                    t(
                        "No representative of the department is bound for this district. The agreement "
                        "is stored; its reminders start once a representative is bound."
                    )
                )
            ),
        )
    await nudges.schedule_nudges(session, env, agreement, now=now)
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
    _require(
        agreement,
        AgreementStatus.OPEN,
        AgreementStatus.EXTENSION_REQUESTED,
        AgreementStatus.PROBLEM,
    )
    agreement.status, agreement.done_at = AgreementStatus.DONE_REPORTED, now
    agreement.requested_due_at, agreement.request_reason = None, None
    note = (text or "").strip() or None
    await add_event(session, agreement, "done_reported", now=now, actor=rep, text=note)

    def render(t: Translator) -> str:
        head = "✅ " + escape(
            t(
                "{name} reports this agreement as done.",
                name=rep.first_name or t("The representative"),
            )
        )
        return head + ("\n" + escape(note) if note else "")

    await tell_managers(
        session,
        env,
        agreement,
        now=now,
        render=render,
        buttons=lambda t: [
            [
                {"text": t("Confirm done"), "data": f"ag:confirm:{agreement.id}"},
                {"text": t("Not done yet"), "data": f"ag:reopen:{agreement.id}"},
            ]
        ],
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
    _require(agreement, AgreementStatus.OPEN, AgreementStatus.PROBLEM)
    _check_due(env, new_due, now)
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

    def render(t: Translator) -> str:
        head = "⏳ " + escape(
            t(
                "{name} asks for more time: new date {date}.",
                name=rep.first_name or t("The representative"),
                date=_date(env, t, new_due),
            )
        )
        return head + "\n" + escape(t("Reason: {reason}", reason=reason.strip() or "–"))

    await tell_managers(
        session,
        env,
        agreement,
        now=now,
        render=render,
        buttons=lambda t: [
            [
                {"text": t("Approve new date"), "data": f"ag:approve:{agreement.id}"},
                {"text": t("Reject"), "data": f"ag:reject:{agreement.id}"},
            ]
        ],
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
    _require(agreement, AgreementStatus.OPEN, AgreementStatus.PROBLEM)
    agreement.status = AgreementStatus.PROBLEM
    await add_event(session, agreement, "problem_reported", now=now, actor=rep, text=text)

    def render(t: Translator) -> str:
        head = "⚠️ " + escape(
            t(
                "{name} reports a problem with this agreement:",
                name=rep.first_name or t("The representative"),
            )
        )
        return head + "\n" + escape(text)

    await tell_managers(
        session,
        env,
        agreement,
        now=now,
        render=render,
        buttons=lambda t: [
            [
                {"text": t("Change the date"), "data": f"ag:redate:{agreement.id}"},
                {"text": t("Keep as agreed"), "data": f"ag:reopen:{agreement.id}"},
            ],
            [{"text": t("Escalate to coordination"), "data": f"ag:escalate:{agreement.id}"}],
        ],
    )


# ------------------------------------------------------------------ the manager's side


async def _tell_rep(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    now: datetime,
    render: Any,
    buttons: bool = False,
) -> None:
    rep = await nudges.current_rep(session, agreement, now=now)
    if rep is not None:
        tell_rep(session, env, agreement, rep, now=now, render=render, buttons=buttons)


async def _move_due(
    session: AsyncSession, env: ServiceEnv, agreement: Agreement, due: datetime, now: datetime
) -> None:
    """A new due date: old nudges cancelled, new ones scheduled, escalation starts afresh."""
    agreement.due_at, agreement.escalation_level = due, 0
    agreement.status = AgreementStatus.OPEN
    agreement.requested_due_at, agreement.request_reason = None, None
    await nudges.cancel_nudges(session, agreement, now=now)
    await nudges.schedule_nudges(session, env, agreement, now=now, include_created=False)


async def decide_extension(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    manager: Person,
    approve: bool,
    now: datetime,
) -> None:
    _require(agreement, AgreementStatus.EXTENSION_REQUESTED)
    requested = agreement.requested_due_at
    if approve and requested is not None:
        old = agreement.due_at
        await _move_due(session, env, agreement, requested, now)
        await add_event(
            session,
            agreement,
            "extension_approved",
            now=now,
            actor=manager,
            data={"from": old.isoformat(), "to": requested.isoformat()},
        )
        await _tell_rep(
            session,
            env,
            agreement,
            now=now,
            render=lambda t: (
                "✅ "
                + escape(
                    t(
                        "More time granted: the agreement is now due {date}.",
                        date=_date(env, t, requested),
                    )
                )
            ),
        )
        return
    agreement.status = AgreementStatus.OPEN
    agreement.requested_due_at, agreement.request_reason = None, None
    await add_event(
        session,
        agreement,
        "extension_rejected",
        now=now,
        actor=manager,
        data={"requested": requested.isoformat() if requested else None},
    )
    await _tell_rep(
        session,
        env,
        agreement,
        now=now,
        buttons=True,
        render=lambda t: escape(
            t(
                "Your request for more time was not granted; the agreement stays due {date}.",
                date=_date(env, t, agreement.due_at),
            )
        ),
    )


async def change_due(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    manager: Person,
    due: datetime,
    now: datetime,
) -> None:
    """The manager sets a new due date (e.g. from the escalation card)."""
    _require(agreement, *ACTIVE_STATUSES)
    _check_due(env, due, now)
    old = agreement.due_at
    await _move_due(session, env, agreement, due, now)
    await add_event(
        session,
        agreement,
        "due_changed",
        now=now,
        actor=manager,
        data={"from": old.isoformat(), "to": due.isoformat()},
    )
    await _tell_rep(
        session,
        env,
        agreement,
        now=now,
        buttons=True,
        render=lambda t: escape(
            t("The district management changed the due date to {date}.", date=_date(env, t, due))
        ),
    )


async def confirm_done(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    manager: Person,
    now: datetime,
) -> None:
    """The manager confirms the measure done; nothing is sent about it any more."""
    _require(agreement, *ACTIVE_STATUSES)
    agreement.status, agreement.confirmed_at = AgreementStatus.DONE, now
    agreement.done_at = agreement.done_at or now
    await nudges.cancel_nudges(session, agreement, now=now)
    await add_event(session, agreement, "confirmed", now=now, actor=manager)
    await _tell_rep(
        session,
        env,
        agreement,
        now=now,
        render=lambda t: (
            "✅ "
            + escape(t("The district management confirmed this agreement as done. Thank you!"))
        ),
    )


async def reopen(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    manager: Person,
    now: datetime,
    note: str | None = None,
) -> None:
    """Not done after all, or the problem is dealt with: open again, nudges resume."""
    _require(agreement, AgreementStatus.DONE_REPORTED, AgreementStatus.PROBLEM)
    agreement.status, agreement.done_at = AgreementStatus.OPEN, None
    await add_event(session, agreement, "reopened", now=now, actor=manager, text=note)

    def render(t: Translator) -> str:
        head = escape(t("The district management reopened this agreement: it is still open."))
        return head + ("\n" + escape(note) if note else "")

    await _tell_rep(session, env, agreement, now=now, render=render, buttons=True)


async def nudge_again(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    manager: Person,
    now: datetime,
) -> bool:
    """The manager asks the rep once more, now; False when no rep is bound."""
    _require(agreement, *ACTIVE_STATUSES)
    rep = await nudges.current_rep(session, agreement, now=now)
    await add_event(
        session,
        agreement,
        "nudged",
        now=now,
        actor=manager,
        data={"rep_id": rep.id if rep else None},
    )
    if rep is None:
        return False
    tell_rep(
        session,
        env,
        agreement,
        rep,
        now=now,
        buttons=True,
        kind="nudge",
        render=lambda t: escape(
            t("The district management asks about the state of this agreement.")
        ),
    )
    return True


async def escalate(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    level: int,
    by: Person,
    now: datetime,
    note: str | None = None,
) -> bool:
    """Escalate by decision: level 1 the district's manager, 2 the coordinators.

    Returns False when the agreement is already escalated that far.
    """
    if level not in (1, 2):
        raise AgreementError("level")
    _require(agreement, *ACTIVE_STATUSES)
    if agreement.escalation_level >= level:
        return False
    if level == 1:
        await nudges.escalate_to_manager(session, env, agreement, now=now, actor=by, note=note)
    else:
        await nudges.escalate_to_coordinators(
            session, env, agreement, now=now, actor=by, note=note
        )
    return True


async def cancel_agreement(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    manager: Person,
    now: datetime,
    note: str | None = None,
) -> None:
    _require(agreement, *ACTIVE_STATUSES)
    agreement.status = AgreementStatus.CANCELLED
    await nudges.cancel_nudges(session, agreement, now=now)
    await add_event(session, agreement, "cancelled", now=now, actor=manager, text=note)
    await _tell_rep(
        session,
        env,
        agreement,
        now=now,
        render=lambda t: escape(t("The district management cancelled this agreement.")),
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
