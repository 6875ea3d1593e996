"""After a start: the daily jobs whose time passed while the bot was down.

python-telegram-bot's `run_daily` only knows the next time of day; a bot started at 10:00
would skip today's 07:30 digest and 08:00 nudges, and a night's retention, until the next
day or week. Each of these jobs writes at most once per day or week (its reminder key), so
running them once shortly after the start makes up for a missed run and repeats nothing.
The reminder sweep catches up its own slots (`bot.services.messaging.catch_up`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any

from bot.jobs import DIGEST_AT, NUDGE_AT, write_for_staff_then_deliver
from bot.services.basics.workdays import is_working_hours
from bot.services.reporting import digest

log = logging.getLogger(__name__)


def staff_hours_after(app: Any, start_of_job: Any) -> bool:
    """Now in working hours, and past the job's own time of day (local)."""
    services = app.bot_data.services
    settings, now = services.settings, services.clock.now()
    policy = services.env.policy
    local: datetime = now.astimezone(settings.tz)
    in_hours = is_working_hours(now, tz=settings.tz, start=policy.work_start, end=policy.work_end)
    return in_hours and local.time() >= start_of_job


async def run_catch_up(app: Any) -> dict[str, int]:
    """Run the daily jobs a downtime may have missed; returns what each wrote."""
    from bot.handlers.conferences import run_planning_reminders
    from bot.handlers.desk import run_untriaged_nudge
    from bot.handlers.privacy import run_retention

    done = {"retention": await run_retention(app)}
    done["planning_reminders"] = await run_planning_reminders(app)
    if staff_hours_after(app, NUDGE_AT):
        done["untriaged_nudge"] = await run_untriaged_nudge(app)
    if staff_hours_after(app, DIGEST_AT):
        late_digest = partial(digest.write_weekly_digests, late=True)
        done["weekly_digest"] = await write_for_staff_then_deliver(app, late_digest)
    if any(done.values()):
        log.info("caught up after the start: %s", done)
    return done


async def catch_up_job(context: Any) -> None:
    await run_catch_up(context.application)
