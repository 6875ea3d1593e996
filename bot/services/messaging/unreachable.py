"""Someone blocked the bot: mark them and tell whoever relies on them, once.

Called by the outbox delivery when Telegram answers a send with "Forbidden". Who is told:
- a rep's message about an agreement → the district's manager, once per agreement;
- a message to a resident about a case → the case's district manager, once per case;
- a manager or deputy → the coordinators, once per unreachable period.
"Once" is a marker reminder row with a unique key, stored as already sent
(`agreement_reminders.first_time`), so two failing deliveries cannot both report.
No Telegram here.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.services.access.roles import Role, coordinator_chat_ids, district_recipients
from bot.services.agreements.nudges import first_time, language_of, report_unreachable_rep
from bot.services.basics.env import ServiceEnv
from bot.services.cases.records import add_event as add_case_event
from bot.services.messaging import outbox
from bot.storage.models import Agreement, Case, OutboxMessage, Person, RoleAssignment

REP_MESSAGE_KINDS = ("nudge", "to_rep")


def _name(t: Translator, person: Person) -> str:
    return person.first_name or t("(no name)")


async def _rep_of_agreement(
    session: AsyncSession,
    env: ServiceEnv,
    person: Person,
    message: OutboxMessage,
    now: datetime,
) -> bool:
    agreement_id = (message.payload or {}).get("agreement_id")
    agreement = await session.get(Agreement, int(agreement_id)) if agreement_id else None
    if agreement is None:
        return False
    if agreement.rep_id != person.id and message.kind not in REP_MESSAGE_KINDS:
        return False  # e.g. a manager's card: handled as an unreachable manager below
    return await report_unreachable_rep(session, env, agreement, person, now=now)


async def _resident_of_case(
    session: AsyncSession,
    env: ServiceEnv,
    person: Person,
    message: OutboxMessage,
    now: datetime,
) -> bool:
    if message.case_id is None or message.kind != "to_resident":
        return False
    case = await session.get(Case, message.case_id)
    if case is None or not await first_time(
        session, f"unreachable:case:{case.id}:{person.id}", now
    ):
        return False
    await add_case_event(session, case, "resident_unreachable", now=now)
    chat_ids, _ = await district_recipients(
        session, district_number=case.district_number, now=now, admin_ids=env.admin_ids
    )
    for chat_id in chat_ids:
        t = env.translator(await language_of(session, chat_id))
        text = "⚠️ " + escape(
            t(
                "The resident of concern {reference} cannot be reached by the bot any more "
                "(blocked or chat deleted).",
                reference=case.reference,
            )
        )
        outbox.enqueue(
            session,
            chat_id=chat_id,
            data=outbox.payload(text),
            now=now,
            kind="unreachable",
            case_id=case.id,
        )
    return bool(chat_ids)


async def _manager(session: AsyncSession, env: ServiceEnv, person: Person, now: datetime) -> bool:
    districts = sorted(
        {
            d
            for d in await session.scalars(
                select(RoleAssignment.district_number).where(
                    RoleAssignment.person_id == person.id,
                    RoleAssignment.role.in_([Role.MANAGER, Role.DEPUTY]),
                    RoleAssignment.ended_at.is_(None),
                )
            )
            if d
        }
    )
    if not districts or person.unreachable_since is None:
        return False
    key = f"unreachable:person:{person.id}:{person.unreachable_since.isoformat()}"
    if not await first_time(session, key, now):
        return False
    chat_ids = [
        c
        for c in await coordinator_chat_ids(session, admin_ids=env.admin_ids)
        if c != person.telegram_id
    ]
    for chat_id in chat_ids:
        t = env.translator(await language_of(session, chat_id))
        text = "⚠️ " + escape(
            t(
                "The district manager {name} (district {districts}) cannot be reached by the bot "
                "(blocked or chat deleted).",
                name=_name(t, person),
                districts=", ".join(districts),
            )
        )
        outbox.enqueue(
            session, chat_id=chat_id, data=outbox.payload(text), now=now, kind="unreachable"
        )
    return bool(chat_ids)


async def handle_unreachable(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    chat_id: int,
    message: OutboxMessage,
    now: datetime,
) -> bool:
    """Mark the person behind `chat_id` unreachable and report it; True if messages were queued.

    The mark is cleared when they write to the bot again (`people.get_or_create_person`).
    """
    person = await session.scalar(select(Person).where(Person.telegram_id == chat_id))
    if person is None:
        return False
    if person.unreachable_since is None:
        person.unreachable_since = now
    queued = await _rep_of_agreement(session, env, person, message, now)
    queued = await _resident_of_case(session, env, person, message, now) or queued
    return await _manager(session, env, person, now) or queued
