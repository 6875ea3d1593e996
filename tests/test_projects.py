"""District development projects end to end: /projekt, /projekte, status and notes, who may
touch them, and the fourth-quarter reminder to the managers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.handlers.conferences import run_planning_reminders
from bot.offline.simulator import SimUser
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Project
from tests.conftest import BotEnv
from tests.helpers import bind_role

MANAGER, REP66 = 700_100, 700_166


async def _staff(env: BotEnv) -> tuple[SimUser, SimUser, None]:
    """The manager of district 10 and its rep of department 66, reading English."""
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    await bind_role(env, REP66, Role.REP, district="10", department="66", first_name="Rolf")
    sim = env.sim
    assert sim is not None
    return sim.user(MANAGER, language_code="en"), sim.user(REP66, language_code="en"), None


async def test_projects_and_the_fourth_quarter_reminder(env: BotEnv) -> None:
    manager, rep66, _ = await _staff(env)

    def project_reminders() -> int:
        return sum("development project" in text for text in manager.texts())

    env.clock.set(datetime(2026, 9, 30, 8, 0, tzinfo=UTC))
    await run_planning_reminders(env.app)
    assert project_reminders() == 0  # not before October
    env.clock.set(datetime(2026, 10, 5, 7, 0, tzinfo=UTC))
    await run_planning_reminders(env.app)
    assert project_reminders() == 1
    assert "no district development project for 2026" in manager.last.plain_text
    await run_planning_reminders(env.app)
    assert project_reminders() == 1  # once a month

    await manager.send("/projekt")
    await manager.send("Stadtteilfest Limmer")
    await manager.press("Culture and leisure")
    await manager.send("Kulturtreff Plantage")
    assert "Project saved." in manager.last.plain_text
    await manager.send("/projekte")
    assert "Stadtteilfest Limmer" in manager.last.plain_text
    await manager.press("Set: running")
    await manager.press("Add note")
    await manager.send("Kick-off with the clubs")
    assert "Note saved" in manager.last.plain_text
    async with session_scope(env.services.session_maker) as session:
        [project] = list(await session.scalars(select(Project)))
    assert (project.district_number, project.year) == ("10", 2026)
    assert project.topic == "culture_leisure"
    assert project.partners == "Kulturtreff Plantage" and project.status == "running"
    assert project.notes is not None and "Kick-off with the clubs" in project.notes

    await rep66.send("/projekte")
    assert "not allowed" in rep66.last.plain_text
    answer = await rep66.press_data(f"pj:status:{project.id}:done")
    assert answer is not None and "not allowed" in (answer.text or "")
    env.clock.set(datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    await run_planning_reminders(env.app)
    assert project_reminders() == 1  # the district has its project
