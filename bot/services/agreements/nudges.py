"""Writing an agreement's nudges and escalations when their reminders fall due.

The schedule is `bot.services.agreements.schedule`; each reminder kind has a writer here
(`renderers`, for `bot.jobs`) that queues an intent for the rep, the managers or the
coordinators, held for working hours. Nothing here produces text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.agreements import notices
from bot.services.agreements.recipients import (
    MakeIntent,
    add_event,
    current_rep,
    tell_coordinators,
    tell_managers,
    tell_rep,
)
from bot.services.agreements.schedule import (
    ESCALATE_COORDINATORS,
    ESCALATE_MANAGER,
    NUDGE,
    OVERDUE,
    due_day,
    first_time,
    next_overdue,
    overdue_days,
    read_at,
    record_missed,
    schedule_slot,
)
from bot.services.agreements.status import (
    CLOSED_STATUSES,
    ESCALATION_STATUSES,
    NUDGE_STATUSES,
    AgreementStatus,
)
from bot.services.basics.env import ServiceEnv
from bot.services.messaging import catch_up, reminders
from bot.storage.models import Agreement, Person, Reminder

Writer = Callable[[AsyncSession, ServiceEnv, Reminder, datetime], Awaitable[None]]


async def report_unreachable_rep(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    rep: Person,
    *,
    now: datetime,
    hold: bool = False,
) -> bool:
    """Tell the district's manager that the rep has blocked the bot; once per agreement."""
    if not await first_time(session, f"unreachable:agr:{agreement.id}:{rep.id}", now):
        return False
    await add_event(session, agreement, "rep_unreachable", now=now, data={"rep_id": rep.id})
    chat_ids = await tell_managers(
        session,
        env,
        agreement,
        now=now,
        kind="unreachable",
        hold=hold,
        make=lambda card: notices.RepUnreachable(card=card, name=rep.first_name),
    )
    return bool(chat_ids)


async def _agreement_for(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder
) -> Agreement | None:
    """The reminder's agreement, unless closed or since moved to another due date."""
    agreement_id = reminder.agreement_id or (reminder.data or {}).get("agreement_id")
    agreement = await session.get(Agreement, agreement_id) if agreement_id else None
    if agreement is None or agreement.status in CLOSED_STATUSES:
        return None
    if (reminder.data or {}).get("due") != due_day(agreement.due_at, env.tz).isoformat():
        return None
    return agreement


async def _nudge_rep(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    reminder: Reminder,
    now: datetime,
    make: MakeIntent,
) -> None:
    if agreement.status not in NUDGE_STATUSES:
        return
    rep = await current_rep(session, agreement, now=now)
    if rep is None:
        return
    if rep.unreachable_since is not None:
        # The rep blocked the bot: the manager hears it (once per agreement), no attempts.
        await report_unreachable_rep(session, env, agreement, rep, now=now, hold=True)
        return
    tell_rep(session, env, agreement, rep, now=now, make=make, kind="nudge", reminder=reminder)


async def write_nudge(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime
) -> None:
    """A nudge before the due date (or on creation), with the three rep buttons. Its words
    come from the due date and the day the rep reads it, not from the slot's name: a due-day
    nudge moved past a weekend says when it was due."""
    agreement = await _agreement_for(session, env, reminder)
    if agreement is None:
        return
    slot = str((reminder.data or {}).get("slot") or reminder.key.rsplit(":", 1)[-1])
    due = due_day(agreement.due_at, env.tz)
    read_on = read_at(env, now).astimezone(env.tz).date()
    await _nudge_rep(
        session,
        env,
        agreement,
        reminder,
        now,
        lambda card: notices.Nudge(
            card=card,
            slot=slot,
            days_left=(due - read_on).days,
            reminder_key=reminder.key,
            due=due,
            read_on=read_on,
            overdue_days=overdue_days(agreement, env, read_at(env, now)),
        ),
    )


async def write_overdue(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime
) -> None:
    """An overdue nudge with the true count; while the agreement is not closed, the next one
    is scheduled from now, and chain slots that fell due meanwhile are recorded as missed."""
    agreement = await _agreement_for(session, env, reminder)
    if agreement is None:
        return
    n = int(reminder.key.rsplit(":", 1)[-1])
    following, moment, missed = next_overdue(
        agreement.due_at, n, now=now, tz=env.tz, policy=env.policy
    )
    for number, slot_moment in missed:
        await record_missed(
            session, env, agreement, kind=OVERDUE, slot=str(number), moment=slot_moment, now=now
        )
    await schedule_slot(
        session, env, agreement, kind=OVERDUE, slot=str(following), moment=moment, now=now
    )
    days = overdue_days(agreement, env, read_at(env, now))
    due = due_day(agreement.due_at, env.tz)
    await _nudge_rep(
        session,
        env,
        agreement,
        reminder,
        now,
        lambda card: notices.Overdue(
            card=card, overdue_days=days, reminder_key=reminder.key, due=due
        ),
    )


async def _escalation_event(
    session: AsyncSession,
    agreement: Agreement,
    level: int,
    now: datetime,
    actor: Person | None = None,
    note: str | None = None,
) -> None:
    agreement.escalation_level = max(agreement.escalation_level, level)
    await add_event(
        session,
        agreement,
        "escalated",
        now=now,
        actor=actor,
        text=note,
        data={"level": level, "automatic": actor is None},
    )


async def escalate_to_manager(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    now: datetime,
    actor: Person | None = None,
    note: str | None = None,
    reminder: Reminder | None = None,
) -> None:
    """The manager's escalation card: nudge again, change the date, escalate further."""
    await _escalation_event(session, agreement, 1, now, actor, note)
    days = overdue_days(agreement, env, now if reminder is None else read_at(env, now))
    requested = agreement.status == AgreementStatus.EXTENSION_REQUESTED
    key = reminder.key if reminder is not None else None
    await tell_managers(
        session,
        env,
        agreement,
        now=now,
        kind="escalation",
        hold=reminder is not None,
        make=lambda card: notices.EscalatedToManager(
            card=card,
            overdue_days=days,
            note=note,
            extension_requested=requested,
            reminder_key=key,
        ),
    )


async def escalate_to_coordinators(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    now: datetime,
    actor: Person | None = None,
    note: str | None = None,
    reminder: Reminder | None = None,
) -> None:
    """The coordinators' escalation list gets the agreement."""
    await _escalation_event(session, agreement, 2, now, actor, note)
    days = overdue_days(agreement, env, now if reminder is None else read_at(env, now))
    key = reminder.key if reminder is not None else None
    await tell_coordinators(
        session,
        env,
        agreement,
        now=now,
        hold=reminder is not None,
        make=lambda card: notices.EscalatedToCoordinators(
            card=card, overdue_days=days, note=note, reminder_key=key
        ),
    )


async def _write_escalation(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime, level: int
) -> None:
    """An escalation slot: escalate unless the agreement is settled or already that high."""
    agreement = await _agreement_for(session, env, reminder)
    if agreement is None or agreement.status not in ESCALATION_STATUSES:
        return
    if agreement.escalation_level >= level:
        return
    escalate = escalate_to_manager if level == 1 else escalate_to_coordinators
    await escalate(session, env, agreement, now=now, reminder=reminder)


async def write_escalate_manager(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime
) -> None:
    await _write_escalation(session, env, reminder, now, 1)


async def write_escalate_coordinators(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime
) -> None:
    await _write_escalation(session, env, reminder, now, 2)


def _rep_group(reminder: Reminder) -> str:
    # with the due date: a slot of an earlier due date (which writes nothing) never hides one
    # of the current date
    data = reminder.data or {}
    return f"agr:{reminder.agreement_id or data.get('agreement_id')}:{data.get('due')}:rep"


# The rep's nudges and overdue notices of one agreement due at one sweep are one message.
CATCH_UP_GROUPS: dict[str, catch_up.GroupOf] = {NUDGE: _rep_group, OVERDUE: _rep_group}


def renderers(env: ServiceEnv) -> dict[str, reminders.Renderer]:
    """The reminder kinds of agreements and their writers, for `bot.jobs`."""

    def bind(write: Writer) -> reminders.Renderer:
        async def rendered(session: AsyncSession, reminder: Reminder, now: datetime) -> None:
            await write(session, env, reminder, now)

        return rendered

    return {
        NUDGE: bind(write_nudge),
        OVERDUE: bind(write_overdue),
        ESCALATE_MANAGER: bind(write_escalate_manager),
        ESCALATE_COORDINATORS: bind(write_escalate_coordinators),
    }
