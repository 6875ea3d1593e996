"""After a start, the daily jobs whose time passed while the bot was down run once: the
Monday digest (also on a later day of the same week), the untriaged-case nudge, retention.
Nothing is repeated, nothing runs outside working hours."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.catch_up_jobs import run_catch_up
from bot.services.access import people
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Case
from tests.conftest import BotEnv
from tests.helpers import bind_role
from tests.reminder_walk import delivered

BERLIN = ZoneInfo("Europe/Berlin")
MANAGER = 700_010


def berlin(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


async def _district_with_an_untriaged_case(env: BotEnv, created: datetime) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    async with session_scope(env.services.session_maker) as session:
        manager = await people.get_person(session, telegram_id=MANAGER)
        assert manager is not None
        manager.language = "de"
        values: dict[str, Any] = {"created_at": created, "updated_at": created}
        session.add(
            Case(
                reference="10-2026-0001",
                district_number="10",
                topic="public_space",
                status="new",
                **values,
            )
        )


async def _kinds(env: BotEnv) -> list[str]:
    return [m.kind for m in await delivered(env, MANAGER)]


async def test_started_on_tuesday_the_missed_digest_and_todays_nudge_come_once(
    env: BotEnv,
) -> None:
    await _district_with_an_untriaged_case(env, berlin(3, 10))
    # down from Sunday to Tuesday 17 March 10:00: Monday's digest and today's nudge missed
    env.clock.set(berlin(3, 17, 10))
    done = await run_catch_up(env.app)
    # the manager and the coordination (the configured admin) each get the digest
    assert done["weekly_digest"] == 2 and done["untriaged_nudge"] == 1
    # (and the daily planning check: no district conference for six months)
    assert sorted(await _kinds(env)) == ["conference_overdue", "untriaged", "weekly_digest"]
    texts = [m.text("de") for m in await delivered(env, MANAGER)]
    assert "Wochenübersicht Linden-Limmer" in texts
    assert any(text.startswith("Anliegen in Linden-Limmer, die seit mehr") for text in texts)

    # a second start the same day (or a second instance) repeats nothing
    env.clock.set(berlin(3, 17, 11))
    await env.restart()
    done = await run_catch_up(env.app)
    assert done["weekly_digest"] == 0 and done["untriaged_nudge"] == 0
    assert sorted(await _kinds(env)) == ["conference_overdue", "untriaged", "weekly_digest"]


async def test_started_before_the_jobs_time_it_leaves_them_to_their_schedule(
    env: BotEnv,
) -> None:
    await _district_with_an_untriaged_case(env, berlin(3, 10))
    env.clock.set(berlin(3, 16, 6, 30))  # Monday, before 07:30 and outside working hours
    done = await run_catch_up(env.app)
    assert "weekly_digest" not in done and "untriaged_nudge" not in done
    assert "untriaged" not in await _kinds(env)
    env.clock.set(berlin(3, 21, 11))  # Saturday: no staff nudge, no late digest
    done = await run_catch_up(env.app)
    assert "weekly_digest" not in done and "untriaged" not in await _kinds(env)


async def test_after_easter_monday_no_late_digest_either(env: BotEnv) -> None:
    await _district_with_an_untriaged_case(env, berlin(3, 30))
    env.clock.set(berlin(4, 7, 9))  # Tuesday after Easter Monday: that week has no digest
    done = await run_catch_up(env.app)
    assert done["weekly_digest"] == 0
    assert "weekly_digest" not in await _kinds(env) and "untriaged" in await _kinds(env)
