"""When an agreement's nudges and escalations fall due, in working hours of Lower Saxony.

Every nudge is a reminder row (see `bot.services.messaging.reminders`) keyed
``agr:<agreement id>:<due date iso>:<kind>:<slot>``: a changed due date gets fresh keys, and
``agr:<id>:`` cancels all of an agreement's pending ones. Rep nudges are fixed slots
(created, n days before, due day) plus a chain of overdue nudges: each one, when written for
an agreement still open, schedules the next. Escalation to the manager and to the
coordinators are one slot each. Pure scheduling (`nudge_slots`) is free of the database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.basics.env import NudgePolicy, ServiceEnv
from bot.services.basics.workdays import (
    add_working_days,
    is_working_day,
    next_working_moment,
    working_days_between,
)
from bot.services.messaging import reminders
from bot.services.messaging.catch_up import MISSED, RESCHEDULED
from bot.storage.models import Agreement, OutboxMessage, Reminder

__all__ = [
    "ESCALATE_COORDINATORS",
    "ESCALATE_MANAGER",
    "KINDS",
    "NUDGE",
    "OVERDUE",
    "NudgePolicy",
    "cancel_nudges",
    "due_day",
    "escalation_moment",
    "first_time",
    "hold_for_hours",
    "informed_at",
    "key_prefix",
    "next_overdue",
    "nudge_slots",
    "overdue_days",
    "overdue_moment",
    "read_at",
    "record_missed",
    "reminder_key",
    "schedule_nudges",
    "schedule_slot",
]

NUDGE = "agr_nudge"  # slots: created, d<n> (n days before), due
OVERDUE = "agr_overdue"  # slots 1, 2, ...: a chain, each schedules the next
ESCALATE_MANAGER = "agr_escalate_manager"  # slot 1
ESCALATE_COORDINATORS = "agr_escalate_coordinators"  # slot 1
KINDS = (NUDGE, OVERDUE, ESCALATE_MANAGER, ESCALATE_COORDINATORS)

Slot = tuple[str, str, datetime]  # (reminder kind, slot, moment)


# ----------------------------------------------------------------------------- schedule


def _local_at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    # Through UTC, so a wall time in the DST gap moves forward instead of failing.
    return datetime.combine(day, clock).replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def _into_hours(moment: datetime, tz: ZoneInfo, policy: NudgePolicy) -> datetime:
    return next_working_moment(moment, tz=tz, start=policy.work_start, end=policy.work_end)


def _morning(day: date, tz: ZoneInfo, policy: NudgePolicy) -> datetime:
    """The start of working hours on `day`, or the next working moment after it."""
    return _into_hours(_local_at(day, policy.work_start, tz), tz, policy)


def _morning_before(day: date, tz: ZoneInfo, policy: NudgePolicy) -> datetime:
    """The start of working hours on `day`, or on the last working day before it: a warning
    "due in n days" must come before the due date, not slide onto it over a weekend."""
    if not is_working_day(day):
        day = add_working_days(day, -1)
    return _morning(day, tz, policy)


def due_day(due: datetime, tz: ZoneInfo) -> date:
    return due.astimezone(tz).date()


def overdue_moment(due: datetime, n: int, *, tz: ZoneInfo, policy: NudgePolicy) -> datetime:
    """The n-th overdue nudge: n times the interval in working days after the due date."""
    day = add_working_days(due_day(due, tz), n * policy.overdue_every_working_days)
    return _morning(day, tz, policy)


def escalation_moment(
    due: datetime, after_working_days: int, *, tz: ZoneInfo, policy: NudgePolicy
) -> datetime:
    """Morning of the first working day on which the agreement is overdue by more than n."""
    return _morning(add_working_days(due_day(due, tz), after_working_days + 1), tz, policy)


def nudge_slots(
    due: datetime, created: datetime, *, tz: ZoneInfo, policy: NudgePolicy
) -> list[Slot]:
    """Every nudge and escalation of an agreement, in working hours, oldest first.

    The "created" slot is `created` itself (moved into working hours); slots before it, or
    at the same moment as an earlier rep nudge, are dropped. Only the first overdue nudge is
    listed: the rest follow as a chain (see `render_overdue`).
    """
    first = _into_hours(created, tz, policy)
    day = due_day(due, tz)
    on_due_day = _morning(day, tz, policy)
    slots: list[Slot] = [(NUDGE, "created", first)]
    last = first
    for days in sorted(set(policy.days_before), reverse=True):
        moment = _morning_before(day - timedelta(days=days), tz, policy)
        if last < moment < on_due_day:
            slots.append((NUDGE, f"d{days}", moment))
            last = moment
    if on_due_day > last:
        slots.append((NUDGE, "due", on_due_day))
    slots.append((OVERDUE, "1", overdue_moment(due, 1, tz=tz, policy=policy)))
    slots.append(
        (
            ESCALATE_MANAGER,
            "1",
            escalation_moment(due, policy.escalate_manager_after, tz=tz, policy=policy),
        )
    )
    slots.append(
        (
            ESCALATE_COORDINATORS,
            "1",
            escalation_moment(due, policy.escalate_coordinator_after, tz=tz, policy=policy),
        )
    )
    return sorted(slots, key=lambda slot: slot[2])


def key_prefix(agreement_id: int) -> str:
    return f"agr:{agreement_id}:"


def reminder_key(agreement_id: int, due: date, kind: str, slot: str) -> str:
    return f"{key_prefix(agreement_id)}{due.isoformat()}:{kind}:{slot}"


async def schedule_slot(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    kind: str,
    slot: str,
    moment: datetime,
    now: datetime,
) -> bool:
    day = due_day(agreement.due_at, env.tz)
    key = reminder_key(agreement.id, day, kind, slot)
    created = await reminders.schedule(
        session,
        key=key,
        kind=kind,
        due_at=moment,
        now=now,
        data={"agreement_id": agreement.id, "due": day.isoformat(), "slot": slot},
    )
    if created:  # reminders.schedule has no agreement_id parameter (yet)
        await session.execute(
            update(Reminder).where(Reminder.key == key).values(agreement_id=agreement.id)
        )
        return True
    # The due date went back to an earlier one (A → B → A): its cancelled, never sent
    # slots come back. A sent one stays sent, so nothing is sent twice.
    revived = await session.scalar(
        update(Reminder)
        .where(Reminder.key == key, Reminder.sent_at.is_(None), Reminder.cancelled_at.is_not(None))
        .values(cancelled_at=None, due_at=moment)
        .returning(Reminder.id)
    )
    return revived is not None


async def schedule_nudges(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    now: datetime,
    include_created: bool = True,
) -> int:
    """Schedule the agreement's slots for its current due date; returns how many are new."""
    count = 0
    for kind, slot, moment in nudge_slots(agreement.due_at, now, tz=env.tz, policy=env.policy):
        if slot == "created" and not include_created:
            continue
        count += await schedule_slot(
            session, env, agreement, kind=kind, slot=slot, moment=moment, now=now
        )
    return count


async def cancel_nudges(session: AsyncSession, agreement: Agreement, *, now: datetime) -> None:
    await reminders.cancel(session, key_prefix=key_prefix(agreement.id), now=now)


async def first_time(session: AsyncSession, key: str, now: datetime) -> bool:
    """True exactly once per key: a marker reminder stored as already sent."""
    created = await reminders.schedule(session, key=key, kind="once_marker", due_at=now, now=now)
    if created:
        await session.execute(update(Reminder).where(Reminder.key == key).values(sent_at=now))
    return created


def hold_for_hours(message: OutboxMessage, env: ServiceEnv, now: datetime) -> None:
    """A sweep after downtime may run at night: the nudge then waits for working hours."""
    policy = env.policy
    message.next_attempt_at = next_working_moment(
        now, tz=env.tz, start=policy.work_start, end=policy.work_end
    ).astimezone(UTC)


def informed_at(env: ServiceEnv, now: datetime) -> datetime | None:
    """When a message queued now for a rep goes out (`hold_for_hours`): None when at once,
    else the start of the next working hours."""
    moment = _into_hours(now, env.tz, env.policy)
    return None if moment <= now else moment.astimezone(UTC)


def read_at(env: ServiceEnv, now: datetime) -> datetime:
    """When a reminder written now is read: now, or the start of the next working hours
    (`hold_for_hours`). Its wording counts from this moment, not from the slot's."""
    return _into_hours(now, env.tz, env.policy)


def next_overdue(
    due: datetime, n: int, *, now: datetime, tz: ZoneInfo, policy: NudgePolicy
) -> tuple[int, datetime, list[tuple[int, datetime]]]:
    """After the n-th overdue nudge, written at `now`: the next one's number and moment, and
    the chain's slots that fell due in between (missed while the bot was down).

    The next nudge follows the interval from the day the rep reads this one, so after
    downtime the chain goes on from now instead of sending the missed slots in a burst;
    without downtime that is exactly the chain's own next slot."""
    read_day = _into_hours(now, tz, policy).astimezone(tz).date()
    moment = _morning(add_working_days(read_day, policy.overdue_every_working_days), tz, policy)
    missed: list[tuple[int, datetime]] = []
    following = n + 1
    while (slot := overdue_moment(due, following, tz=tz, policy=policy)) < moment:
        missed.append((following, slot))
        following += 1
    return following, moment, missed


async def record_missed(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    kind: str,
    slot: str,
    moment: datetime,
    now: datetime,
) -> None:
    """A chain slot recorded as skipped (never sent): it fell due while the bot was down, or
    it would come before the next slot counted from now (the message now replaces it)."""
    await schedule_slot(session, env, agreement, kind=kind, slot=slot, moment=moment, now=now)
    key = reminder_key(agreement.id, due_day(agreement.due_at, env.tz), kind, slot)
    await session.execute(
        update(Reminder)
        .where(Reminder.key == key, Reminder.sent_at.is_(None))
        .values(sent_at=now, skipped_at=now, skip_reason=MISSED if moment <= now else RESCHEDULED)
    )


def overdue_days(agreement: Agreement, env: ServiceEnv, now: datetime) -> int:
    return working_days_between(due_day(agreement.due_at, env.tz), now.astimezone(env.tz).date())
