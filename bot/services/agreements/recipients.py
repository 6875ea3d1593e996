"""Who hears about an agreement (its rep, the district's managers, the coordinators), its
event log, and queueing its intents in the outbox. No texts here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Role, coordinator_chat_ids, district_recipients
from bot.services.agreements.notices import AgreementCard
from bot.services.agreements.schedule import hold_for_hours
from bot.services.basics.env import ServiceEnv
from bot.services.messaging import outbox
from bot.services.messaging.intents import Intent
from bot.storage.models import (
    Agreement,
    AgreementEvent,
    OutboxMessage,
    Person,
    Reminder,
    RoleAssignment,
)

MakeIntent = Callable[[AgreementCard], Intent]


async def add_event(
    session: AsyncSession,
    agreement: Agreement,
    kind: str,
    *,
    now: datetime,
    actor: Person | None = None,
    text: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    agreement.updated_at = now
    session.add(
        AgreementEvent(
            agreement_id=agreement.id,
            kind=kind,
            actor_id=actor.id if actor else None,
            text=text,
            data=data,
            created_at=now,
        )
    )


async def default_rep(session: AsyncSession, *, district: str, department: str) -> Person | None:
    """The department's rep for the district: the default one if marked, else the first."""
    rep: Person | None = await session.scalar(
        select(Person)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(
            RoleAssignment.role == Role.REP,
            RoleAssignment.department_number == department,
            RoleAssignment.district_number == district,
            RoleAssignment.ended_at.is_(None),
        )
        .order_by(RoleAssignment.is_default.desc(), RoleAssignment.id)
        .limit(1)
    )
    return rep


async def current_rep(
    session: AsyncSession, agreement: Agreement, *, now: datetime
) -> Person | None:
    """The named rep; for an agreement stored without one, a rep bound since then."""
    if agreement.rep_id is not None:
        return await session.get(Person, agreement.rep_id)
    rep = await default_rep(
        session, district=agreement.district_number, department=agreement.department_number
    )
    if rep is not None:
        agreement.rep_id = rep.id
        await add_event(session, agreement, "rep_assigned", now=now, data={"rep_id": rep.id})
    return rep


def card(
    agreement: Agreement, rep: Person | None = None, *, for_staff: bool = False
) -> AgreementCard:
    """The agreement's summary data; for staff with the rep (or that none is bound)."""
    return AgreementCard(
        agreement_id=agreement.id,
        district=agreement.district_number,
        department=agreement.department_number,
        measure=agreement.measure,
        due=agreement.due_at,
        for_staff=for_staff,
        rep_bound=rep is not None,
        rep_name=rep.first_name if rep is not None else None,
    )


def tell_rep(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    rep: Person,
    *,
    now: datetime,
    make: MakeIntent,
    kind: str = "to_rep",
    reminder: Reminder | None = None,
    sender: Person | None = None,
) -> OutboxMessage | None:
    """Queue `make(card)` for the rep; a reminder's message waits for working hours. With a
    `sender` (a manager's decision) the row is theirs: sent at once by the caller, which
    tells them the outcome (`outcome`), and reported to them if it fails later."""
    if not rep.telegram_id:
        return None
    message = outbox.tell(
        session,
        chat_id=rep.telegram_id,
        intent=make(card(agreement)),
        now=now,
        kind=kind,
        person_id=rep.id,
        language=rep.language,
        sender_id=sender.id if sender is not None else None,
        backup_for=outbox.BACKUP_SECONDS if sender is not None else None,
    )
    if reminder is not None:
        hold_for_hours(message, env, now)
    return message


async def still_rep(session: AsyncSession, agreement: Agreement, rep: Person) -> bool:
    """Whether `rep` still represents the agreement's department in its district."""
    found = await session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.person_id == rep.id,
            RoleAssignment.role == Role.REP,
            RoleAssignment.department_number == agreement.department_number,
            RoleAssignment.district_number == agreement.district_number,
            RoleAssignment.ended_at.is_(None),
        )
    )
    return found is not None


async def tell_managers(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    now: datetime,
    make: MakeIntent,
    kind: str = "to_manager",
    hold: bool = False,
) -> list[int]:
    """Queue `make(card)` for whoever handles the district now (manager, deputy,
    coordinators); `hold` keeps it for working hours."""
    chat_ids, _ = await district_recipients(
        session, district_number=agreement.district_number, now=now, admin_ids=env.admin_ids
    )
    await _tell_staff(session, env, agreement, chat_ids, now=now, make=make, kind=kind, hold=hold)
    return chat_ids


async def tell_coordinators(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    now: datetime,
    make: MakeIntent,
    hold: bool = False,
) -> list[int]:
    chat_ids = await coordinator_chat_ids(session, admin_ids=env.admin_ids)
    await _tell_staff(
        session, env, agreement, chat_ids, now=now, make=make, kind="escalation", hold=hold
    )
    return chat_ids


async def _tell_staff(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    chat_ids: list[int],
    *,
    now: datetime,
    make: MakeIntent,
    kind: str,
    hold: bool,
) -> None:
    rep = await session.get(Person, agreement.rep_id) if agreement.rep_id else None
    intent = make(card(agreement, rep, for_staff=True))
    for chat_id in chat_ids:
        message = outbox.tell(session, chat_id=chat_id, intent=intent, now=now, kind=kind)
        if hold:
            hold_for_hours(message, env, now)
