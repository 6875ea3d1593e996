"""Catching up after downtime: no burst, nothing lost.

When the bot was stopped, several slots of one subject (an agreement's nudges to its rep, a
statement's nudges, a conference's reminders) may be due at the first sweep after the start.
The sweep then writes only the latest of each group, which tells the current state (its text
is computed from the real dates, not from the slot), and records the others as skipped with
the reason (`skip`). The moment of the last sweep is kept in a marker row, so the sweep knows
how long the bot was down; after downtime longer than the setting the coordinators get one
summary of what was caught up (`CaughtUp`). No texts here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.messaging.intents import Intent, intent
from bot.storage.models import Reminder

# Why a slot was not sent (Reminder.skip_reason).
SUPERSEDED = "superseded"  # a later slot of the same subject was due at the same sweep
MISSED = "missed"  # fell due while the bot was down; the chain goes on from now
TOO_LATE = "too_late"  # what it reminds of is over (e.g. the conference has begun)
RESCHEDULED = "rescheduled"  # a chain slot soon after a caught-up message: the chain restarts

LAST_SWEEP_KEY = "ops:last_sweep"
# A reminder written this much after its moment was caught up (the sweep runs twice a minute).
LATE_AFTER = timedelta(minutes=2)
LAST_SWEEP_KIND = "sweep_marker"

# A reminder's catch-up group: reminders of one group due at the same sweep are one message.
GroupOf = Callable[[Reminder], str | None]


def skip(reminder: Reminder, *, now: datetime, reason: str) -> None:
    """Record a slot as handled without a message, and why."""
    reminder.sent_at = now
    reminder.skipped_at = now
    reminder.skip_reason = reason


def latest_of_groups(due: Iterable[Reminder], group_of: GroupOf | None) -> set[int]:
    """The ids of the reminders to write: per group the latest slot; ungrouped ones all."""
    latest: dict[str, Reminder] = {}
    keep: set[int] = set()
    for reminder in due:
        group = group_of(reminder) if group_of is not None else None
        if group is None:
            keep.add(reminder.id)
            continue
        seen = latest.get(group)
        if seen is None or (reminder.due_at, reminder.id) > (seen.due_at, seen.id):
            latest[group] = reminder
    return keep | {reminder.id for reminder in latest.values()}


def combined(*groupers: dict[str, GroupOf]) -> GroupOf:
    """One group function from the services' {kind: group function} maps."""
    by_kind: dict[str, GroupOf] = {}
    for grouper in groupers:
        by_kind.update(grouper)

    def group_of(reminder: Reminder) -> str | None:
        found = by_kind.get(reminder.kind)
        return found(reminder) if found is not None else None

    return group_of


async def previous_sweep(session: AsyncSession, *, now: datetime) -> datetime | None:
    """The moment of the last sweep before this one (None on the very first); notes `now`."""
    # A row of its own kind, never pending ("cancelled" keeps it out of the sweep and of the
    # sent count), due_at the last sweep; locked (PostgreSQL), so that of two instances
    # started together only one sees the downtime.
    marker = await session.scalar(
        select(Reminder).where(Reminder.key == LAST_SWEEP_KEY).with_for_update()
    )
    if marker is None:
        session.add(
            Reminder(
                key=LAST_SWEEP_KEY,
                kind=LAST_SWEEP_KIND,
                due_at=now,
                created_at=now,
                cancelled_at=now,
            )
        )
        return None
    before = marker.due_at
    if now > before:
        marker.due_at = now
    return before


@dataclass(frozen=True)
class Tally:
    """What one sweep did: per reminder kind, how many were written late, and skipped."""

    late: Counter[str]
    skipped: Counter[str]

    @classmethod
    def empty(cls) -> Tally:
        return cls(Counter(), Counter())

    def note(self, reminder: Reminder, *, late_before: datetime) -> None:
        """A reminder the sweep wrote: late when due before `late_before`."""
        if reminder.skipped_at is None and reminder.due_at < late_before:
            self.late[reminder.kind] += 1

    async def count_skipped(self, session: AsyncSession, *, now: datetime) -> None:
        """Every slot this sweep recorded as skipped (the due ones and a chain's gaps)."""
        rows = await session.execute(
            select(Reminder.kind, func.count())
            .where(Reminder.skipped_at == now)
            .group_by(Reminder.kind)
        )
        for kind, count in rows.tuples():
            self.skipped[kind] += count


@intent("operations.caught_up")
@dataclass(frozen=True)
class CaughtUp(Intent):
    """To the coordinators after long downtime: from when to when the bot was not running,
    and per reminder kind how many were sent late (as one current message) or skipped."""

    down_since: datetime
    back_at: datetime
    late: tuple[tuple[str, int], ...]
    skipped: tuple[tuple[str, int], ...]


def summary(
    tally: Tally, *, down_since: datetime | None, now: datetime, after: timedelta
) -> CaughtUp | None:
    """The coordinators' summary when the bot was down longer than `after` and something
    was caught up; else None."""
    if down_since is None or now - down_since <= after:
        return None
    if not tally.late and not tally.skipped:
        return None
    return CaughtUp(
        down_since=down_since,
        back_at=now,
        late=tuple(sorted(tally.late.items())),
        skipped=tuple(sorted(tally.skipped.items())),
    )
