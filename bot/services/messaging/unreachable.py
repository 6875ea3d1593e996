"""Someone blocked the bot: mark them and tell whoever relies on them, once.

Called by the outbox delivery when Telegram answers a send with "Forbidden". Who is told:
- a rep's message about an agreement → the district's manager, once per agreement;
- a message to a resident about a case → the case's district manager, once per case;
- a manager or deputy → the coordinators, once per unreachable period.
"Once" is a marker reminder row with a unique key, stored as already sent
(`schedule.first_time`), so two failing deliveries cannot both report.
Who is told what is an intent; no Telegram and no text here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Role, coordinator_chat_ids, district_recipients
from bot.services.agreements.nudges import report_unreachable_rep
from bot.services.agreements.schedule import first_time
from bot.services.basics.env import ServiceEnv
from bot.services.cases.records import add_event as add_case_event
from bot.services.messaging import outbox
from bot.services.messaging.intents import Intent, intent
from bot.storage.models import Agreement, Case, OutboxMessage, Person, RoleAssignment

REP_MESSAGE_KINDS = ("nudge", "to_rep")


@intent("case.resident_unreachable")
@dataclass(frozen=True)
class ResidentUnreachable(Intent):
    reference: str


@intent("person.manager_unreachable")
@dataclass(frozen=True)
class ManagerUnreachable(Intent):
    name: str | None
    districts: tuple[str, ...]


def agreement_of(message: OutboxMessage) -> int | None:
    """The agreement a queued message is about: from its intent's card, or from the payload
    of a row queued before intents."""
    card: Any = (message.params or {}).get("card")
    if isinstance(card, dict) and card.get("agreement_id") is not None:
        return int(card["agreement_id"])
    stored = (message.payload or {}).get("agreement_id")
    return int(stored) if stored is not None else None


async def _rep_of_agreement(
    session: AsyncSession,
    env: ServiceEnv,
    person: Person,
    message: OutboxMessage,
    now: datetime,
) -> bool:
    agreement_id = agreement_of(message)
    agreement = await session.get(Agreement, agreement_id) if agreement_id else None
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
    sender = await session.get(Person, message.sender_id) if message.sender_id else None
    if sender is not None:  # the sender hears it as the outcome of their message
        chat_ids = [c for c in chat_ids if c != sender.telegram_id]
    for chat_id in chat_ids:
        outbox.tell(
            session,
            chat_id=chat_id,
            intent=ResidentUnreachable(reference=case.reference),
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
    told = ManagerUnreachable(name=person.first_name, districts=tuple(districts))
    for chat_id in chat_ids:
        outbox.tell(session, chat_id=chat_id, intent=told, now=now, kind="unreachable")
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
