"""Periodic work: the reminder sweep (JobQueue), which tests call directly with a moved clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import flush_outbox
from bot.services.agreements import conferences
from bot.services.agreements import nudges as agreement_reminders
from bot.services.basics.env import ServiceEnv
from bot.services.cases import feedback
from bot.services.messaging import reminders
from bot.storage.db import session_scope
from bot.storage.models import Reminder


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
    settings: `writer(session, now=, tz=, translations=, reference=, admin_ids=)`."""
    services = app.bot_data.services
    settings = services.settings

    async def write(session: AsyncSession, now: datetime) -> int:
        return await writer(
            session,
            now=now,
            tz=settings.tz,
            translations=services.translations,
            reference=services.reference,
            admin_ids=settings.admin_telegram_ids,
        )

    return await write_then_deliver(app, write)


async def run_sweep(app: Any) -> int:
    """Turn due reminders into outbox messages and deliver them."""
    renderers = reminder_renderers(app.bot_data.services.env)

    async def write(session: AsyncSession, now: datetime) -> int:
        return await reminders.sweep(session, now=now, renderers=renderers)

    return await write_then_deliver(app, write)


async def sweep_job(context: Any) -> None:
    await run_sweep(context.application)
