"""Asking the residents' verdict: once per case, some working days after it was closed
(resolved or referred), with at most one reminder; never an erased or pseudonymised person.

The survey is a scan, not a reminder row per case: the daily question is "which cases
closed N working days ago have no verdict row yet?", so no code that closes a case has to
remember to schedule it, and a case reopened and closed again is still asked only once (the
row is unique per case).

Coordination with the Lotse follow-up ("did the contact help?", `referral_followup`): a
referred case is not asked while that follow-up is pending or on the day it was sent; the
verdict comes on a later working day. A resident who answers "no, it did not help" reopens
the case, so the verdict waits for its next closing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.basics.periods import local_midnight
from bot.services.basics.workdays import add_working_days, is_working_day
from bot.services.cases.records import add_event
from bot.services.cases.triage import tell_resident
from bot.services.privacy.erasure import ERASED_EVENT
from bot.services.verdicts.notices import VerdictQuestion
from bot.storage.models import Case, CaseEvent, Person, Reminder, Verdict

CLOSED = ("resolved", "referred")
ASK_FROM = time(10)  # residents are asked in the morning of the due day, not at midnight
LATEST_DAYS = 30  # a case closed longer ago than its due day plus this is not asked any more
MAX_REASON = 300  # one sentence


@dataclass(frozen=True)
class SurveyPolicy:
    working_days: int = 5
    reminder_working_days: int = 3  # 0: no reminder


def _ask_day(now: datetime, tz: ZoneInfo) -> date | None:
    """The local day whose questions may go out now: today from 10:00 on a working day."""
    local = now.astimezone(tz)
    if local.time() < ASK_FROM or not is_working_day(local.date()):
        return None
    return local.date()


async def _held_back(session: AsyncSession, case_ids: list[int], day_start: datetime) -> set[int]:
    """Referred cases whose "did it help?" is pending or went out today: not asked today."""
    if not case_ids:
        return set()
    rows = await session.scalars(
        select(Reminder.case_id).where(
            Reminder.case_id.in_(case_ids),
            Reminder.kind == "referral_followup",
            Reminder.cancelled_at.is_(None),
            or_(Reminder.sent_at.is_(None), Reminder.sent_at >= day_start),
        )
    )
    return {case_id for case_id in rows if case_id is not None}


async def _asked_today(session: AsyncSession, day_start: datetime) -> set[int]:
    """Residents who already had a question today (a verdict, or "did the contact help?"):
    one question a day is enough; a second case of theirs waits for the next working day."""
    verdicts = (
        select(Case.resident_id)
        .join(Verdict, Verdict.case_id == Case.id)
        .where(or_(Verdict.asked_at >= day_start, Verdict.reminded_at >= day_start))
    )
    followups = (
        select(Case.resident_id)
        .join(Reminder, Reminder.case_id == Case.id)
        .where(Reminder.kind == "referral_followup", Reminder.sent_at >= day_start)
    )
    found = set(await session.scalars(verdicts)) | set(await session.scalars(followups))
    return {person_id for person_id in found if person_id is not None}


def _reachable(person: Person | None) -> bool:
    return person is not None and person.telegram_id is not None and person.erased_at is None


async def ask_due(
    session: AsyncSession, *, now: datetime, tz: ZoneInfo, policy: SurveyPolicy
) -> int:
    """Ask every resident whose case is due today; returns how many were asked."""
    today = _ask_day(now, tz)
    if today is None:
        return 0
    last_closed = local_midnight(add_working_days(today, -policy.working_days), tz) + timedelta(
        days=1
    )
    scrubbed = select(CaseEvent.case_id).where(CaseEvent.kind == ERASED_EVENT)
    asked = select(Verdict.case_id)
    found = list(
        (
            await session.execute(
                select(Case, Person)
                .join(Person, Person.id == Case.resident_id)
                .where(
                    Case.status.in_(CLOSED),
                    Case.closed_at.is_not(None),
                    Case.closed_at < last_closed,
                    Case.closed_at >= last_closed - timedelta(days=LATEST_DAYS),
                    Case.id.not_in(asked),
                    Case.id.not_in(scrubbed),
                    Person.erased_at.is_(None),
                    Person.telegram_id.is_not(None),
                )
                .order_by(Case.id)
            )
        ).all()
    )
    day_start = local_midnight(today, tz)
    held = await _held_back(session, [c.id for c, _ in found if c.status == "referred"], day_start)
    busy = await _asked_today(session, day_start)
    count = 0
    for case, person in found:
        if (
            case.id in held
            or person.id in busy
            or not _reachable(person)
            or case.closed_at is None
        ):
            continue
        busy.add(person.id)
        session.add(Verdict(case_id=case.id, district_number=case.district_number,
                            topic=case.topic, mode=case.mode, closed_at=case.closed_at,
                            asked_at=now))  # fmt: skip
        tell_resident(session, person, case, VerdictQuestion(case.id, case.reference), now)
        count += 1
    return count


async def remind_due(
    session: AsyncSession, *, now: datetime, tz: ZoneInfo, policy: SurveyPolicy
) -> int:
    """The one reminder to residents who have not answered; returns how many."""
    today = _ask_day(now, tz)
    if today is None or not policy.reminder_working_days:
        return 0
    asked_before = local_midnight(
        add_working_days(today, -policy.reminder_working_days), tz
    ) + timedelta(days=1)
    busy = await _asked_today(session, local_midnight(today, tz))
    rows = (
        await session.execute(
            select(Verdict, Case, Person)
            .join(Case, Case.id == Verdict.case_id)
            .join(Person, Person.id == Case.resident_id)
            .where(
                Verdict.score.is_(None),
                Verdict.reminded_at.is_(None),
                Verdict.asked_at < asked_before,
                Verdict.asked_at >= asked_before - timedelta(days=LATEST_DAYS),
            )
        )
    ).all()
    count = 0
    for verdict, case, person in rows:
        if person.id in busy:
            continue  # tomorrow
        verdict.reminded_at = now  # even when not sent: never a reminder later than this one
        if not _reachable(person) or case.status not in CLOSED:
            continue
        busy.add(person.id)
        intent = VerdictQuestion(case.id, case.reference, reminder=True)
        tell_resident(session, person, case, intent, now)
        count += 1
    return count


async def run_survey(
    session: AsyncSession, *, now: datetime, tz: ZoneInfo, policy: SurveyPolicy
) -> int:
    """The job's work: the reminders first (they are older), then today's questions; at
    most one of them per resident and day."""
    reminded = await remind_due(session, now=now, tz=tz, policy=policy)
    return reminded + await ask_due(session, now=now, tz=tz, policy=policy)


async def _own_verdict(session: AsyncSession, case_id: int, person: Person) -> Verdict | None:
    """The verdict row of a case the person filed (None: not theirs, or never asked)."""
    found: Verdict | None = await session.scalar(
        select(Verdict)
        .join(Case, Case.id == Verdict.case_id)
        .where(and_(Verdict.case_id == case_id, Case.resident_id == person.id))
    )
    return found


async def record_score(
    session: AsyncSession, *, case_id: int, person: Person, score: int, now: datetime
) -> bool | None:
    """The resident's 1–5. True: recorded; False: answered before; None: not theirs."""
    verdict = await _own_verdict(session, case_id, person)
    if verdict is None or not 1 <= score <= 5:
        return None
    if verdict.score is not None:
        return False
    verdict.score, verdict.answered_at = score, now
    case = await session.get(Case, case_id)
    assert case is not None
    await add_event(session, case, "verdict", now=now, actor=person, actor_role="resident",
                    data={"score": score})  # fmt: skip
    return True


async def record_reason(
    session: AsyncSession, *, case_id: int, person: Person, text: str, now: datetime
) -> bool:
    """The optional sentence after the score (shortened to one short sentence's length)."""
    verdict = await _own_verdict(session, case_id, person)
    if verdict is None or verdict.score is None or verdict.reason is not None:
        return False
    verdict.reason = " ".join(text.split())[:MAX_REASON]
    case = await session.get(Case, case_id)
    assert case is not None
    await add_event(session, case, "verdict_reason", now=now, actor=person,
                    actor_role="resident", text=verdict.reason)  # fmt: skip
    return True


async def record_quoting(
    session: AsyncSession, *, case_id: int, person: Person, agreed: bool, now: datetime
) -> bool:
    """Whether the sentence may be quoted (without name) in reports."""
    verdict = await _own_verdict(session, case_id, person)
    if verdict is None or verdict.reason is None:
        return False
    verdict.quotable = agreed
    case = await session.get(Case, case_id)
    assert case is not None
    # in the case's history, and so in the person's data export (Art. 15)
    await add_event(session, case, "verdict_quoting", now=now, actor=person,
                    actor_role="resident", data={"quotable": agreed})  # fmt: skip
    return True
