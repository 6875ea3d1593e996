"""The reminder sweep as the bot runs it: due reminders written (one per catch-up group),
the moment noted, and after long downtime one summary for the coordinators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import coordinator_chat_ids
from bot.services.basics.env import ServiceEnv
from bot.services.basics.workdays import next_working_moment
from bot.services.messaging import catch_up, outbox, reminders


async def sweep(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    now: datetime,
    renderers: dict[str, reminders.Renderer],
    group_of: catch_up.GroupOf | None,
    summary_after: timedelta,
    after_start: bool = False,
    limit: int = 200,
) -> int:
    """`reminders.sweep` with catch-up; returns how many reminders were handled.

    A running bot sweeps twice a minute, so only the first sweep after a start (`after_start`)
    can follow downtime: only it may send the coordinators' summary."""
    since = await catch_up.previous_sweep(session, now=now)
    tally = catch_up.Tally.empty()
    handled = await reminders.sweep(
        session,
        now=now,
        renderers=renderers,
        limit=limit,
        group_of=group_of,
        tally=tally,
    )
    await tally.count_skipped(session, now=now)
    caught_up = catch_up.summary(tally, down_since=since, now=now, after=summary_after)
    if caught_up is not None and after_start:
        policy = env.policy
        # like the nudges it reports, it waits for working hours
        at = next_working_moment(now, tz=env.tz, start=policy.work_start, end=policy.work_end)
        for chat_id in await coordinator_chat_ids(session, admin_ids=env.admin_ids):
            message = outbox.tell(
                session, chat_id=chat_id, intent=caught_up, now=now, kind="caught_up"
            )
            message.next_attempt_at = at.astimezone(UTC)
    return handled
