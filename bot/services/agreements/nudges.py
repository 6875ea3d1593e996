"""Nudges and escalations of agreements: when they fall due, and what each one says.

Every nudge is a reminder row (see `bot.services.messaging.reminders`) keyed
``agr:<agreement id>:<due date iso>:<kind>:<slot>``: a changed due date gets fresh keys, and
``agr:<id>:`` cancels all of an agreement's pending ones. Rep nudges are fixed slots
(created, n days before, due day) plus a chain of overdue nudges: each one, when rendered for
an agreement still open, schedules the next. Escalation to the manager and to the
coordinators are one slot each. All moments lie in working hours (Lower Saxony).

Messages carry ``agreement_id`` (and ``reminder_key`` when a reminder caused them) in the
outbox payload; `bot.services.messaging.unreachable` reads it when a rep has blocked the bot.
Pure scheduling (`nudge_slots`) is free of the database; nothing here imports Telegram.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.services.access.roles import Role, coordinator_chat_ids, district_recipients
from bot.services.basics.dates import format_date
from bot.services.basics.env import NudgePolicy, ServiceEnv
from bot.services.basics.workdays import (
    add_working_days,
    is_working_day,
    next_working_moment,
    working_days_between,
)
from bot.services.messaging import outbox, reminders
from bot.storage.models import (
    Agreement,
    AgreementEvent,
    OutboxMessage,
    Person,
    Reminder,
    RoleAssignment,
)


class AgreementStatus(StrEnum):
    OPEN = "open"
    DONE_REPORTED = "done_reported"  # the rep says done; the manager has not confirmed yet
    DONE = "done"  # confirmed by the manager
    EXTENSION_REQUESTED = "extension_requested"
    PROBLEM = "problem"
    CANCELLED = "cancelled"


CLOSED_STATUSES = (AgreementStatus.DONE, AgreementStatus.CANCELLED)
ACTIVE_STATUSES = tuple(s for s in AgreementStatus if s not in CLOSED_STATUSES)
# The ball is with the manager in the other active states, so the rep hears nothing then.
NUDGE_STATUSES = (AgreementStatus.OPEN,)
ESCALATION_STATUSES = (
    AgreementStatus.OPEN,
    AgreementStatus.EXTENSION_REQUESTED,
    AgreementStatus.PROBLEM,
)

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


async def _schedule(
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
    revived = await session.execute(
        update(Reminder)
        .where(Reminder.key == key, Reminder.sent_at.is_(None), Reminder.cancelled_at.is_not(None))
        .values(cancelled_at=None, due_at=moment)
    )
    return bool(revived.rowcount)


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
        count += await _schedule(
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


# ----------------------------------------------------------------------------- messages


async def language_of(session: AsyncSession, telegram_id: int) -> str | None:
    return await session.scalar(select(Person.language).where(Person.telegram_id == telegram_id))


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
    return await session.scalar(
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


def summary(
    env: ServiceEnv,
    t: Translator,
    agreement: Agreement,
    rep: Person | None = None,
    *,
    show_rep: bool = False,
) -> str:
    """The agreement in a few escaped lines: number, district, department, measure, due."""
    ref = env.reference
    district = (
        ref.district(agreement.district_number).name
        if ref.has_district(agreement.district_number)
        else agreement.district_number
    )
    department = (
        ref.department(agreement.department_number).label(t.language)
        if ref.has_department(agreement.department_number)
        else agreement.department_number
    )
    due = format_date(agreement.due_at.astimezone(env.tz), lang=t.language)
    lines = [
        "<b>" + escape(t("Agreement #{number}", number=agreement.id)) + "</b>",
        escape(t("District: {district}", district=district)),
        escape(t("Department: {department}", department=department)),
        escape(t("Measure: {measure}", measure=agreement.measure)),
        escape(t("Due: {date}", date=due)),
    ]
    if show_rep and rep is not None:
        lines.append(escape(t("Representative: {name}", name=rep.first_name or "–")))
    elif show_rep:
        lines.append(escape(t("No representative of the department is bound for this district.")))
    return "\n".join(lines)


def rep_buttons(t: Translator, agreement_id: int) -> list[list[outbox.Button]]:
    return [
        [{"text": t("✅ Done"), "data": f"ag:done:{agreement_id}"}],
        [{"text": t("⏳ Ask for more time"), "data": f"ag:more:{agreement_id}"}],
        [{"text": t("⚠️ Report a problem"), "data": f"ag:problem:{agreement_id}"}],
    ]


def escalation_buttons(t: Translator, agreement: Agreement) -> list[list[outbox.Button]]:
    rows: list[list[outbox.Button]] = [
        [
            {"text": t("Nudge again"), "data": f"ag:nudge:{agreement.id}"},
            {"text": t("Change the date"), "data": f"ag:redate:{agreement.id}"},
        ],
        [{"text": t("Escalate to coordination"), "data": f"ag:escalate:{agreement.id}"}],
    ]
    if agreement.status == AgreementStatus.EXTENSION_REQUESTED:
        rows.insert(
            0,
            [
                {"text": t("Approve new date"), "data": f"ag:approve:{agreement.id}"},
                {"text": t("Reject"), "data": f"ag:reject:{agreement.id}"},
            ],
        )
    return rows


def _hold_for_hours(message: OutboxMessage, env: ServiceEnv, now: datetime) -> None:
    # A sweep after downtime may run at night: the nudge then waits for working hours.
    policy = env.policy
    message.next_attempt_at = next_working_moment(
        now, tz=env.tz, start=policy.work_start, end=policy.work_end
    ).astimezone(UTC)


def enqueue_for(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    chat_id: int,
    text: str,
    now: datetime,
    kind: str,
    buttons: list[list[outbox.Button]] | None = None,
    person_id: int | None = None,
    reminder: Reminder | None = None,
    hold: bool = False,
) -> OutboxMessage:
    """Queue a message about an agreement; a reminder's message waits for working hours."""
    data = outbox.payload(text, buttons=buttons)
    data["agreement_id"] = agreement.id
    if reminder is not None:
        data["reminder_key"] = reminder.key
    message = outbox.enqueue(
        session, chat_id=chat_id, data=data, now=now, kind=kind, person_id=person_id
    )
    if reminder is not None or hold:
        _hold_for_hours(message, env, now)
    return message


def tell_rep(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    rep: Person,
    *,
    now: datetime,
    render: Any,
    buttons: bool = False,
    kind: str = "to_rep",
    reminder: Reminder | None = None,
) -> None:
    """Queue `render(t)` (escaped HTML) for the rep, with the summary and the rep buttons."""
    if not rep.telegram_id:
        return
    t = env.translator(rep.language)
    text = render(t) + "\n\n" + summary(env, t, agreement)
    enqueue_for(
        session,
        env,
        agreement,
        chat_id=rep.telegram_id,
        text=text,
        now=now,
        kind=kind,
        buttons=rep_buttons(t, agreement.id) if buttons else None,
        person_id=rep.id,
        reminder=reminder,
    )


async def tell_managers(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    now: datetime,
    render: Any,
    buttons: Any = None,
    kind: str = "to_manager",
    reminder: Reminder | None = None,
    hold: bool = False,
) -> list[int]:
    """Queue `render(t)` for whoever handles the district now (manager, deputy, coordinators)."""
    chat_ids, _ = await district_recipients(
        session, district_number=agreement.district_number, now=now, admin_ids=env.admin_ids
    )
    rep = await session.get(Person, agreement.rep_id) if agreement.rep_id else None
    for chat_id in chat_ids:
        t = env.translator(await language_of(session, chat_id))
        text = render(t) + "\n\n" + summary(env, t, agreement, rep, show_rep=True)
        enqueue_for(
            session,
            env,
            agreement,
            chat_id=chat_id,
            text=text,
            now=now,
            kind=kind,
            buttons=buttons(t) if buttons else None,
            reminder=reminder,
            hold=hold,
        )
    return chat_ids


async def tell_coordinators(
    session: AsyncSession,
    env: ServiceEnv,
    agreement: Agreement,
    *,
    now: datetime,
    render: Any,
    reminder: Reminder | None = None,
) -> list[int]:
    chat_ids = await coordinator_chat_ids(session, admin_ids=env.admin_ids)
    rep = await session.get(Person, agreement.rep_id) if agreement.rep_id else None
    for chat_id in chat_ids:
        t = env.translator(await language_of(session, chat_id))
        text = render(t) + "\n\n" + summary(env, t, agreement, rep, show_rep=True)
        enqueue_for(
            session,
            env,
            agreement,
            chat_id=chat_id,
            text=text,
            now=now,
            kind="escalation",
            reminder=reminder,
        )
    return chat_ids


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
        render=lambda t: (
            "⚠️ "
            + escape(
                t(
                    "The representative {name} cannot be reached by the bot (blocked or chat deleted). "
                    "Please contact them directly about this agreement.",
                    name=rep.first_name or t("(no name)"),
                )
            )
        ),
    )
    return bool(chat_ids)


def overdue_days(agreement: Agreement, env: ServiceEnv, now: datetime) -> int:
    return working_days_between(due_day(agreement.due_at, env.tz), now.astimezone(env.tz).date())


# ---------------------------------------------------------------------------- renderers


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
    render: Any,
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
    tell_rep(
        session,
        env,
        agreement,
        rep,
        now=now,
        render=render,
        buttons=True,
        kind="nudge",
        reminder=reminder,
    )


def _nudge_text(t: Translator, slot: str, days_left: int) -> str:
    if slot == "created":
        return escape(t("A new agreement for your department:"))
    if days_left <= 0:
        return escape(t("Reminder: this agreement is due today."))
    if days_left == 1:
        return escape(t("Reminder: this agreement is due tomorrow."))
    return escape(t("Reminder: this agreement is due in {days} days.", days=days_left))


async def render_nudge(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime
) -> None:
    """A nudge before the due date (or on creation), with the three rep buttons."""
    agreement = await _agreement_for(session, env, reminder)
    if agreement is None:
        return
    slot = str((reminder.data or {}).get("slot") or reminder.key.rsplit(":", 1)[-1])
    days_left = (due_day(agreement.due_at, env.tz) - now.astimezone(env.tz).date()).days
    await _nudge_rep(
        session, env, agreement, reminder, now, lambda t: _nudge_text(t, slot, days_left)
    )


async def render_overdue(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime
) -> None:
    """An overdue nudge; while the agreement is not closed, the next one is scheduled."""
    agreement = await _agreement_for(session, env, reminder)
    if agreement is None:
        return
    n = int(reminder.key.rsplit(":", 1)[-1])
    moment = overdue_moment(agreement.due_at, n + 1, tz=env.tz, policy=env.policy)
    await _schedule(session, env, agreement, kind=OVERDUE, slot=str(n + 1), moment=moment, now=now)
    days = overdue_days(agreement, env, now)
    await _nudge_rep(
        session,
        env,
        agreement,
        reminder,
        now,
        lambda t: escape(
            t(
                "This agreement is overdue by {days} working days. Please report its state.",
                days=days,
            )
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
    days = overdue_days(agreement, env, now)

    def render(t: Translator) -> str:
        text = "⚠️ " + (
            escape(t("Escalation: this agreement is overdue by {days} working days.", days=days))
            if days > 0
            else escape(t("Escalation of this agreement."))
        )
        return text + ("\n" + escape(note) if note else "")

    await tell_managers(
        session,
        env,
        agreement,
        now=now,
        kind="escalation",
        reminder=reminder,
        render=render,
        buttons=lambda t: escalation_buttons(t, agreement),
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
    days = overdue_days(agreement, env, now)

    def render(t: Translator) -> str:
        text = "🚨 " + (
            escape(
                t(
                    "Escalation to coordination: this agreement is overdue by {days} working days.",
                    days=days,
                )
            )
            if days > 0
            else escape(t("Escalation to coordination by the district management."))
        )
        return text + ("\n" + escape(note) if note else "")

    await tell_coordinators(session, env, agreement, now=now, render=render, reminder=reminder)


async def _render_escalation(
    session: AsyncSession,
    env: ServiceEnv,
    reminder: Reminder,
    now: datetime,
    level: int,
    escalate: Any,
) -> None:
    """An escalation slot: escalate unless the agreement is settled or already that high."""
    agreement = await _agreement_for(session, env, reminder)
    if agreement is None or agreement.status not in ESCALATION_STATUSES:
        return
    if agreement.escalation_level >= level:
        return
    await escalate(session, env, agreement, now=now, reminder=reminder)


async def render_escalate_manager(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime
) -> None:
    await _render_escalation(session, env, reminder, now, 1, escalate_to_manager)


async def render_escalate_coordinators(
    session: AsyncSession, env: ServiceEnv, reminder: Reminder, now: datetime
) -> None:
    await _render_escalation(session, env, reminder, now, 2, escalate_to_coordinators)


def renderers(env: ServiceEnv) -> dict[str, reminders.Renderer]:
    """The reminder kinds of agreements and their renderers, for `bot.jobs`."""

    def bind(render: Any) -> reminders.Renderer:
        async def rendered(session: AsyncSession, reminder: Reminder, now: datetime) -> None:
            await render(session, env, reminder, now)

        return rendered

    return {
        NUDGE: bind(render_nudge),
        OVERDUE: bind(render_overdue),
        ESCALATE_MANAGER: bind(render_escalate_manager),
        ESCALATE_COORDINATORS: bind(render_escalate_coordinators),
    }
