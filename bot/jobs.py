"""Periodic work, all registered here (`register_jobs`, called from the application's
post_init), and the shape the jobs share: write into the outbox in one transaction, then
deliver. Tests call the `run_*` functions directly with a moved clock."""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import flush_outbox
from bot.services.agreements import conferences
from bot.services.agreements import nudges as agreement_reminders
from bot.services.basics.env import ServiceEnv
from bot.services.cases import feedback
from bot.services.council import statement_nudges
from bot.services.messaging import catch_up, reminders, sweeping
from bot.storage.db import session_scope
from bot.storage.models import Reminder
from bot.updates import guard


def reminder_renderers(env: ServiceEnv) -> dict[str, reminders.Renderer]:
    """Each reminder kind and the function that writes its messages."""

    async def referral_followup(session: AsyncSession, reminder: Reminder, now: datetime) -> None:
        await feedback.render_referral_followup(session, env, reminder, now)

    async def conference_reminder(
        session: AsyncSession, reminder: Reminder, now: datetime
    ) -> None:
        await conferences.render_conference_reminder(session, env, reminder, now)

    return {
        "referral_followup": referral_followup,
        "conference_reminder": conference_reminder,
        **agreement_reminders.renderers(env),
        **statement_nudges.renderers(env),
    }


Write = Callable[[AsyncSession, datetime], Awaitable[int]]


async def write_then_deliver(app: Any, write: Write) -> int:
    """The shape of the bot's jobs: write their messages into the outbox in one transaction
    (`write(session, now)` returns how many), then deliver them."""
    services = app.bot_data.services
    async with session_scope(services.session_maker) as session:
        written = await write(session, services.clock.now())
    await flush_outbox(app)
    return written


async def write_for_staff_then_deliver(app: Any, writer: Callable[..., Awaitable[int]]) -> int:
    """`write_then_deliver` for the staff digests and nudges, which all take the same
    settings: `writer(session, now=, tz=, admin_ids=)` (their messages are intents, rendered
    at delivery, so they need no translations)."""
    services = app.bot_data.services
    settings = services.settings

    async def write(session: AsyncSession, now: datetime) -> int:
        return await writer(
            session,
            now=now,
            tz=settings.tz,
            admin_ids=settings.admin_telegram_ids,
        )

    return await write_then_deliver(app, write)


def catch_up_groups() -> catch_up.GroupOf:
    """Which due reminders are one message when several are due at once (after downtime)."""
    return catch_up.combined(
        agreement_reminders.CATCH_UP_GROUPS,
        statement_nudges.CATCH_UP_GROUPS,
        conferences.CATCH_UP_GROUPS,
        feedback.CATCH_UP_GROUPS,
    )


async def write_sweep(
    services: Any, session: AsyncSession, now: datetime, *, after_start: bool = True
) -> int:
    """The sweep's writing part: due reminders into the outbox, with catch-up (also used
    by `bezirksbot reminders --at`, which rolls it back); `after_start` for the first sweep
    of a process, the only one that can follow downtime."""
    return await sweeping.sweep(
        session,
        services.env,
        now=now,
        renderers=reminder_renderers(services.env),
        group_of=catch_up_groups(),
        summary_after=timedelta(minutes=services.settings.catch_up_summary_after_minutes),
        after_start=after_start,
    )


_SWEPT: weakref.WeakSet[Any] = weakref.WeakSet()  # applications that have swept since start


async def run_sweep(app: Any) -> int:
    """Turn due reminders into outbox messages and deliver them."""
    services = app.bot_data.services
    after_start = app not in _SWEPT

    async def write(session: AsyncSession, now: datetime) -> int:
        return await write_sweep(services, session, now, after_start=after_start)

    written = await write_then_deliver(app, write)
    _SWEPT.add(app)
    return written


async def sweep_job(context: Any) -> None:
    await run_sweep(context.application)


async def outbox_job(context: Any) -> None:
    await flush_outbox(context.application)


# python-telegram-bot 20+ counts the days of run_daily from 0 = Sunday
MONDAY = 1
SWEEP_EVERY = timedelta(seconds=30)
RETENTION_AT = time(3, 30)
NUDGE_AT = time(8, 0)
DIGEST_AT = time(7, 30)
PLANNING_AT = time(9, 0)
VERDICT_AT = time(10, 5)  # residents are asked from 10:00 (bot.services.verdicts.survey)
MENUS_EVERY = timedelta(minutes=15)


def daily(run: Callable[[Any], Awaitable[object]]) -> Callable[[Any], Awaitable[None]]:
    """A job callback running `run(application)` (the form the tests call directly)."""

    async def job(context: Any) -> None:
        await run(context.application)

    return job


def register_jobs(app: Any) -> None:
    """Every periodic job of the bot, with the reason for its interval. Daily times are local
    (Hannover), daylight saving included."""
    # The handler modules use this module's helpers (write_then_deliver, run_sweep), so their
    # job functions are imported here, at call time, not at import time (no import cycle).
    from bot.catch_up_jobs import catch_up_job
    from bot.handlers.command_menus import menu_sync_job
    from bot.handlers.conferences import run_planning_reminders
    from bot.handlers.desk import run_untriaged_nudge
    from bot.handlers.privacy import run_retention
    from bot.handlers.reports import run_weekly_digest
    from bot.handlers.verdicts import run_verdict_survey

    queue = app.job_queue
    if queue is None:  # built without the job-queue extra
        return
    settings = app.bot_data.services.settings
    tz = settings.tz

    # Messages queued by a handler are sent at once; this catches what a failed or
    # interrupted delivery left behind, and retries after Telegram's flood waits.
    queue.run_repeating(
        outbox_job,
        interval=timedelta(seconds=settings.outbox_interval_seconds),
        first=timedelta(seconds=1),
        name="outbox",
    )
    # Reminders fall due at a minute's precision (follow-ups, agreement nudges and
    # escalations, conference reminders): half a minute late at most.
    queue.run_repeating(
        sweep_job, interval=SWEEP_EVERY, first=timedelta(seconds=2), name="reminders"
    )
    # The update ledger only needs to outlive Telegram's redelivery of an update (24 hours).
    queue.run_repeating(
        guard.guard_of(app).prune_job,
        interval=guard.PRUNE_EVERY,
        first=timedelta(minutes=10),
        name="processed_updates_prune",
    )
    # Pseudonymisation is due by the day; at night nobody is waiting for the bot.
    queue.run_daily(daily(run_retention), time=RETENTION_AT.replace(tzinfo=tz), name="retention")
    # Managers start the day with the cases left untriaged for two working days.
    queue.run_daily(
        daily(run_untriaged_nudge), time=NUDGE_AT.replace(tzinfo=tz), name="untriaged_nudge"
    )
    # The weekly digest before the Monday's work; on a holiday Monday it writes nothing.
    queue.run_daily(
        daily(run_weekly_digest),
        time=DIGEST_AT.replace(tzinfo=tz),
        days=(MONDAY,),
        name="weekly_digest",
    )
    # Handlers refresh the command menus at once when a role is granted (which may end a
    # predecessor's) or a language chosen; this catches the rest (the command line, the admin
    # list in the settings, new texts after a deployment). Unchanged menus are not re-sent.
    queue.run_repeating(
        menu_sync_job, interval=MENUS_EVERY, first=timedelta(seconds=30), name="command_menus"
    )
    # After a start, the daily jobs above whose time passed while the bot was down (each
    # writes once per day or week, so nothing is repeated).
    queue.run_once(catch_up_job, when=timedelta(seconds=20), name="catch_up")
    # The six-month conference and fourth-quarter project rules are checked once a day; each
    # reminder is written once per period.
    # The residents' verdict: a question (or the one reminder) per case closed some working
    # days ago, in the morning, once a day.
    queue.run_daily(
        daily(run_verdict_survey), time=VERDICT_AT.replace(tzinfo=tz), name="verdict_survey"
    )
    queue.run_daily(
        daily(run_planning_reminders),
        time=PLANNING_AT.replace(tzinfo=tz),
        name="planning_reminders",
    )
