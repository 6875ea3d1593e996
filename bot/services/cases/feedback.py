"""The resident's feedback on a closed case: did the contact help, is the concern settled?"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.basics.env import ServiceEnv
from bot.services.basics.workdays import next_working_moment
from bot.services.cases.records import CaseStatus, add_event
from bot.services.cases.triage import resident_of, tell_district, tell_resident
from bot.services.cases.triage_notices import ReferralFollowup, Reopened
from bot.services.messaging.catch_up import GroupOf
from bot.storage.models import Case, Person, Reminder


class Outcome(StrEnum):
    RECORDED = "recorded"
    REOPENED = "reopened"
    TOO_LATE = "too_late"
    NOT_ASKED = "not_asked"


async def _record(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    resident: Person,
    question: str,
    positive: bool,
    now: datetime,
) -> Outcome | None:
    """Store the answer; an outcome if there is nothing more to do."""
    if question == "ref":
        if case.status != CaseStatus.REFERRED or case.referral_helped is not None:
            return Outcome.NOT_ASKED
        case.referral_helped = positive
        kind, data = "referral_feedback", {"helped": positive}
    else:
        if case.status != CaseStatus.RESOLVED or case.settled is not None:
            return Outcome.NOT_ASKED
        too_old = case.closed_at and now - case.closed_at > timedelta(days=env.reopen_days)
        if not positive and too_old:
            return Outcome.TOO_LATE
        case.settled = positive
        kind, data = "settled_feedback", {"settled": positive}
    await add_event(session, case, kind, now=now, actor=resident, actor_role="resident", data=data)
    return None


async def resident_feedback(
    session: AsyncSession,
    env: ServiceEnv,
    case: Case,
    *,
    resident: Person,
    question: str,
    positive: bool,
    now: datetime,
) -> Outcome:
    """The resident answers "did the contact help?" (`ref`) or "is it settled?" (`set`).

    "No" reopens the case for the manager (a settled-question only within the reopen period).
    """
    early = await _record(
        session, env, case, resident=resident, question=question, positive=positive, now=now
    )
    if early is not None:
        return early
    if positive:
        return Outcome.RECORDED
    case.status = CaseStatus.NEW if question == "ref" else CaseStatus.IN_PROGRESS
    case.closed_at = None
    await add_event(session, case, "reopened", now=now, actor=resident, actor_role="resident")
    intent = Reopened(case_id=case.id, reference=case.reference)
    await tell_district(session, env, case, intent, now=now, kind="reopened")
    return Outcome.REOPENED


async def render_referral_followup(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime
) -> None:
    """A few working days after a referral: did the contact help?"""
    case = await session.get(Case, reminder.case_id) if reminder.case_id else None
    if case is None or case.status != CaseStatus.REFERRED or case.referral_helped is not None:
        return
    resident = await resident_of(session, case)
    if resident is None:
        return
    intent = ReferralFollowup(case_id=case.id, reference=case.reference)
    message = tell_resident(session, resident, case, intent, now)
    held = next_working_moment(
        now, tz=env.tz, start=env.policy.work_start, end=env.policy.work_end
    )
    if held > now:  # written late (the bot was down) at night: the question waits for the day
        message.next_attempt_at = held


def _case_group(reminder: Reminder) -> str:
    return f"case:{reminder.case_id}:followup"


# A case's follow-ups due at one sweep (referred twice, the bot down) are one question.
CATCH_UP_GROUPS: dict[str, GroupOf] = {"referral_followup": _case_group}
