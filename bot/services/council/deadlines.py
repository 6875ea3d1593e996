"""The dates derived from a session: the inquiry deadline (a setting the city has not set
yet: None), the statement due date, and the statement's nudges and escalations, all in
working days of Lower Saxony. Pure functions, free of the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.services.basics.workdays import add_working_days

NUDGE = "brt_nudge"  # slots d<n> (n working days before the due date) and "due"
ESCALATE_MANAGER = "brt_escalate_manager"
ESCALATE_COORDINATORS = "brt_escalate_coordinators"
KINDS = (NUDGE, ESCALATE_MANAGER, ESCALATE_COORDINATORS)

Slot = tuple[str, str, datetime]


@dataclass(frozen=True)
class CouncilPolicy:
    """Built from the settings (`council_*`); the inquiry deadline has no default."""

    inquiry_deadline_working_days: int | None = None
    statement_working_days: int = 5
    nudge_working_days: tuple[int, ...] = (3, 1)
    work_start: time = time(8)
    work_end: time = time(18)


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock).replace(tzinfo=tz).astimezone(UTC)


def session_day(starts_at: datetime, tz: ZoneInfo) -> date:
    return starts_at.astimezone(tz).date()


def statement_due(starts_at: datetime, *, tz: ZoneInfo, policy: CouncilPolicy) -> datetime:
    """The end of working hours, n working days before the session's day."""
    day = add_working_days(session_day(starts_at, tz), -policy.statement_working_days)
    return _at(day, policy.work_end, tz)


def is_late(starts_at: datetime, *, now: datetime, tz: ZoneInfo, policy: CouncilPolicy) -> bool:
    """After the deadline, if the city has set one; without one, after the statement due
    date, when the administration can no longer answer in its usual time."""
    if policy.inquiry_deadline_working_days is None:
        return now > statement_due(starts_at, tz=tz, policy=policy)
    last = add_working_days(session_day(starts_at, tz), -policy.inquiry_deadline_working_days)
    return now.astimezone(tz).date() > last


def statement_slots(
    due: datetime, *, now: datetime, tz: ZoneInfo, policy: CouncilPolicy
) -> list[Slot]:
    """The rep's nudges before and on the due day, then the escalations: the manager the
    working day after, the coordinators the one after that. Only slots still ahead."""
    day = due.astimezone(tz).date()
    slots: list[Slot] = [
        (NUDGE, f"d{n}", _at(add_working_days(day, -n), policy.work_start, tz))
        for n in sorted(set(policy.nudge_working_days), reverse=True)
        if n > 0
    ]
    slots.append((NUDGE, "due", _at(day, policy.work_start, tz)))
    slots.append((ESCALATE_MANAGER, "1", _at(add_working_days(day, 1), policy.work_start, tz)))
    slots.append(
        (ESCALATE_COORDINATORS, "1", _at(add_working_days(day, 2), policy.work_start, tz))
    )
    return sorted((s for s in slots if s[2] > now), key=lambda s: s[2])


def key_prefix(statement_id: int) -> str:
    return f"stmt:{statement_id}:"


def reminder_key(statement_id: int, due: datetime, kind: str, slot: str) -> str:
    return f"{key_prefix(statement_id)}{due.date().isoformat()}:{kind}:{slot}"
