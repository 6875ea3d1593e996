"""The manager's side of an agreement: decide a request for more time, change the date,
confirm or reopen, nudge again, escalate, cancel. Each tells the rep through the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.agreements import notices, nudges, schedule
from bot.services.agreements.recipients import (
    MakeIntent,
    add_event,
    current_rep,
    still_rep,
    tell_rep,
)
from bot.services.agreements.rules import AgreementError, check_can, check_due, require_status
from bot.services.agreements.status import ACTIVE_STATUSES, AgreementStatus
from bot.services.basics.env import ServiceEnv
from bot.services.messaging.outcome import NO_REP, NO_ROLE, Relayed, why_unreachable
from bot.storage.models import Agreement, Person


async def _tell_rep(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    now: datetime,
    make: MakeIntent,
    manager: Person,
    kind: str = "to_rep",
) -> Relayed:
    """Tell the rep of the manager's decision, as the manager's message (see `outcome`):
    queued, or why it cannot be (no rep bound, no longer in the role, erased, blocked)."""
    rep = await current_rep(session, agreement, now=now)
    if rep is None:
        return Relayed(unreachable=NO_REP)
    reason = why_unreachable(rep)
    if reason is None and not await still_rep(session, agreement, rep):
        reason = NO_ROLE
    if reason is not None:
        return Relayed(unreachable=reason)
    row = tell_rep(session, env, agreement, rep, now=now, make=make, kind=kind, sender=manager)
    return Relayed([row] if row is not None else [])


async def _move_due(
    session: AsyncSession, env: ServiceEnv, agreement: Agreement, due: datetime, now: datetime
) -> None:
    """A new due date: old nudges cancelled, new ones scheduled, escalation starts afresh."""
    agreement.due_at, agreement.escalation_level = due, 0
    agreement.status = AgreementStatus.OPEN
    agreement.requested_due_at, agreement.request_reason = None, None
    await schedule.cancel_nudges(session, agreement, now=now)
    await schedule.schedule_nudges(session, env, agreement, now=now, include_created=False)


async def decide_extension(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    manager: Person,
    approve: bool,
    now: datetime,
) -> Relayed:
    require_status(agreement, AgreementStatus.EXTENSION_REQUESTED)
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
        return await _tell_rep(
            session,
            env,
            agreement,
            now=now,
            manager=manager,
            make=lambda card: notices.ExtensionGranted(card=card),
        )
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
    return await _tell_rep(
        session,
        env,
        agreement,
        now=now,
        manager=manager,
        make=lambda card: notices.ExtensionRefused(card=card),
    )


async def change_due(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    manager: Person,
    due: datetime,
    now: datetime,
) -> Relayed:
    """The manager sets a new due date (e.g. from the escalation card)."""
    check_can(agreement, "change_due")
    check_due(env, due, now)
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
    return await _tell_rep(
        session,
        env,
        agreement,
        now=now,
        manager=manager,
        make=lambda card: notices.DueChanged(card=card),
    )


async def confirm_done(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    manager: Person,
    now: datetime,
) -> Relayed:
    """The manager confirms the measure done; nothing is sent about it any more."""
    require_status(agreement, *ACTIVE_STATUSES)
    agreement.status, agreement.confirmed_at = AgreementStatus.DONE, now
    agreement.done_at = agreement.done_at or now
    await schedule.cancel_nudges(session, agreement, now=now)
    await add_event(session, agreement, "confirmed", now=now, actor=manager)
    return await _tell_rep(
        session,
        env,
        agreement,
        now=now,
        manager=manager,
        make=lambda card: notices.Confirmed(card=card),
    )


async def reopen(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    manager: Person,
    now: datetime,
    note: str | None = None,
) -> Relayed:
    """Not done after all, or the problem is dealt with: open again, nudges resume."""
    require_status(agreement, AgreementStatus.DONE_REPORTED, AgreementStatus.PROBLEM)
    agreement.status, agreement.done_at = AgreementStatus.OPEN, None
    await add_event(session, agreement, "reopened", now=now, actor=manager, text=note)

    return await _tell_rep(
        session,
        env,
        agreement,
        now=now,
        manager=manager,
        make=lambda card: notices.Reopened(card=card, note=note),
    )


async def nudge_again(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    manager: Person,
    now: datetime,
) -> Relayed:
    """The manager asks the rep once more, now (`NO_REP` when none is bound)."""
    require_status(agreement, *ACTIVE_STATUSES)
    rep = await current_rep(session, agreement, now=now)
    await add_event(
        session,
        agreement,
        "nudged",
        now=now,
        actor=manager,
        data={"rep_id": rep.id if rep else None},
    )
    if rep is None:
        return Relayed(unreachable=NO_REP)
    return await _tell_rep(
        session,
        env,
        agreement,
        now=now,
        manager=manager,
        kind="nudge",
        make=lambda card: notices.AskedAgain(card=card),
    )


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
    require_status(agreement, *ACTIVE_STATUSES)
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
) -> Relayed:
    require_status(agreement, *ACTIVE_STATUSES)
    agreement.status = AgreementStatus.CANCELLED
    await schedule.cancel_nudges(session, agreement, now=now)
    await add_event(session, agreement, "cancelled", now=now, actor=manager, text=note)
    return await _tell_rep(
        session,
        env,
        agreement,
        now=now,
        manager=manager,
        make=lambda card: notices.Cancelled(card=card),
    )
