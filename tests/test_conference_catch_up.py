"""Conference reminders after downtime, in German: one reminder with the true distance to
the meeting instead of both slots at once, and none after the meeting has begun."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.jobs import run_sweep
from bot.offline.simulator import SimUser
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Person, Reminder
from tests.conftest import BotEnv
from tests.helpers import bind_role

BERLIN = ZoneInfo("Europe/Berlin")
MANAGER, REP66 = 700_100, 700_166


async def _planned(env: BotEnv) -> tuple[SimUser, SimUser]:
    """A conference on Wednesday 15 April 2026, 10:00, planned in German; the rep accepts."""
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    await bind_role(env, REP66, Role.REP, district="10", department="66", first_name="Rolf")
    async with session_scope(env.services.session_maker) as session:  # they chose German
        await session.execute(update(Person).values(language="de"))
    manager = env.sim.user(MANAGER, language_code="de")
    rep = env.sim.user(REP66, language_code="de")
    await manager.send("/konferenz")
    await manager.send("15.4. um 10 Uhr")
    await manager.press("Ja")
    await manager.press("Einladungen senden")
    await rep.press("Zusagen")
    return manager, rep


async def _skips(env: BotEnv) -> dict[str, str | None]:
    async with session_scope(env.services.session_maker) as session:
        rows = await session.scalars(
            select(Reminder).where(Reminder.kind == "conference_reminder")
        )
        return {r.key.rsplit(":", 1)[-1]: r.skip_reason for r in rows}


async def test_down_over_both_reminders_the_rep_hears_once_that_it_is_tomorrow(
    env: BotEnv,
) -> None:
    manager, rep = await _planned(env)
    before = len(rep.messages)
    # stopped on 7 April, started again on Tuesday 14 April at 12:00
    await env.restart()
    env.clock.set(datetime(2026, 4, 14, 12, 0, tzinfo=BERLIN))
    await run_sweep(env.app)
    assert len(rep.messages) == before + 1
    assert rep.last.plain_text.startswith(
        "Erinnerung, morgen: Stadtbezirkskonferenz Linden-Limmer"
    )
    assert manager.last.plain_text.startswith("Erinnerung, morgen:")
    assert await _skips(env) == {"d7": "superseded", "d1": None}
    await run_sweep(env.app)
    assert len(rep.messages) == before + 1


async def test_a_late_week_reminder_counts_the_real_days(env: BotEnv) -> None:
    _, rep = await _planned(env)
    await env.restart()
    env.clock.set(datetime(2026, 4, 13, 9, 0, tzinfo=BERLIN))  # Monday: the week slot was Wed
    await run_sweep(env.app)
    assert rep.last.plain_text.startswith("Erinnerung, in 2 Tagen: Stadtbezirkskonferenz")


async def test_started_after_the_meeting_began_nothing_is_sent(env: BotEnv) -> None:
    _, rep = await _planned(env)
    before = len(rep.messages)
    await env.restart()
    env.clock.set(datetime(2026, 4, 15, 11, 0, tzinfo=BERLIN))
    await run_sweep(env.app)
    assert len(rep.messages) == before
    assert await _skips(env) == {"d7": "superseded", "d1": "too_late"}
