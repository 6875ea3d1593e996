"""Writing a statement's nudges and escalations when their reminders fall due (registered in
`bot.jobs.reminder_renderers`). A part drafted since, or moved to another due date with its
session, is skipped; a nudge waits for working hours like an agreement's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import coordinator_chat_ids, district_recipients
from bot.services.agreements.schedule import hold_for_hours, read_at
from bot.services.basics.env import ServiceEnv
from bot.services.basics.workdays import working_days_between
from bot.services.council import notices
from bot.services.council.deadlines import ESCALATE_COORDINATORS, ESCALATE_MANAGER, NUDGE
from bot.services.council.inquiries import card, get
from bot.services.messaging import catch_up, outbox, reminders
from bot.storage.models import Person, Reminder, Statement


async def _open_statement(session: AsyncSession, reminder: Reminder) -> Statement | None:
    data = reminder.data or {}
    statement = await session.get(Statement, int(data.get("statement_id") or 0))
    if statement is None or statement.text is not None:
        return None
    if data.get("due") != statement.due_at.isoformat():
        return None
    inquiry, _ = await get(session, statement.inquiry_id)
    return None if inquiry.status in ("approved", "answered") else statement


async def write(session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime) -> None:
    statement = await _open_statement(session, reminder)
    if statement is None:
        return
    inquiry, council_session = await get(session, statement.inquiry_id)
    part = card(
        inquiry, council_session, department=statement.department_number, due=statement.due_at
    )
    rep = await session.get(Person, statement.rep_id) if statement.rep_id else None
    if reminder.kind == NUDGE:
        if rep is None or not rep.telegram_id:
            return
        # counted from the day the rep reads it (a nudge written at night waits)
        read_on = read_at(env, now).astimezone(env.tz).date()
        due = statement.due_at.astimezone(env.tz).date()
        left = working_days_between(read_on, due)
        message = outbox.tell(
            session,
            chat_id=rep.telegram_id,
            intent=notices.StatementNudge(
                card=part,
                statement_id=statement.id,
                working_days_left=max(left, 0),
                due=due,
                read_on=read_on,
            ),
            now=now,
            person_id=rep.id,
            language=rep.language,
            kind="nudge",
        )
        hold_for_hours(message, env, now)
        return
    level = 1 if reminder.kind == ESCALATE_MANAGER else 2
    if level == 1:
        chat_ids, _ = await district_recipients(
            session, district_number=inquiry.district_number, now=now, admin_ids=env.admin_ids
        )
    else:
        chat_ids = await coordinator_chat_ids(session, admin_ids=env.admin_ids)
    statement.escalation_level = max(statement.escalation_level, level)
    intent = notices.StatementLate(card=part, rep=rep.first_name if rep else None, level=level)
    for chat_id in chat_ids:
        message = outbox.tell(session, chat_id=chat_id, intent=intent, now=now, kind="escalation")
        hold_for_hours(message, env, now)


def _rep_group(reminder: Reminder) -> str:
    data = reminder.data or {}  # with the due date, as for agreements
    return f"stmt:{data.get('statement_id')}:{data.get('due')}:rep"


# A statement's nudges due at one sweep (after downtime) are one message to the rep.
CATCH_UP_GROUPS: dict[str, catch_up.GroupOf] = {NUDGE: _rep_group}


def renderers(env: ServiceEnv) -> dict[str, reminders.Renderer]:
    async def rendered(session: AsyncSession, reminder: Reminder, now: datetime) -> None:
        await write(session, env, reminder, now)

    return {kind: rendered for kind in (NUDGE, ESCALATE_MANAGER, ESCALATE_COORDINATORS)}
