"""District development projects: at least one per district and year.

Callers check that the sender may manage the project's district; the fourth-quarter reminder
goes to the manager of every district without a project for the year, once a month.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Roles
from bot.services.agreements.planning import remind_managers_once
from bot.services.agreements.planning_notices import ProjectMissing
from bot.services.basics.env import ServiceEnv
from bot.storage.models import Person, Project

STATUSES = ("planned", "running", "done")  # labels: bot/messages/projects.py
REMINDER_KIND = "project_missing"
Q4_MONTHS = (10, 11, 12)
MAX_TITLE = 200


class ProjectError(ValueError):
    """Input that does not fit a project (unknown topic or status, empty title)."""


class NotAllowed(PermissionError):
    """The project is unknown or not of a district the person may manage."""


async def managed_project(session: AsyncSession, *, project_id: int, roles: Roles) -> Project:
    """The project, if `roles` may manage its district."""
    project = await session.get(Project, project_id)
    if project is None or not roles.can_manage_district(project.district_number):
        raise NotAllowed
    return project


async def create_project(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    district: str,
    title: str,
    topic: str | None,
    partners: str | None,
    created_by: Person,
    now: datetime,
) -> Project:
    """A new project of the district for the current (local) year."""
    title = title.strip()
    if not env.reference.has_district(district) or not title or len(title) > MAX_TITLE:
        raise ProjectError("input")
    if topic is not None and not env.reference.has_topic(topic):
        raise ProjectError("topic")
    project = Project(
        district_number=district,
        year=now.astimezone(env.tz).year,
        title=title,
        topic=topic,
        partners=(partners or "").strip() or None,
        status="planned",
        created_by_id=created_by.id,
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    await session.flush()
    return project


async def update_status(
    session: AsyncSession, *, project_id: int, roles: Roles, status: str, now: datetime
) -> Project:
    if status not in STATUSES:
        raise ProjectError("status")
    project = await managed_project(session, project_id=project_id, roles=roles)
    project.status, project.updated_at = status, now
    return project


async def add_note(
    session: AsyncSession,
    env: ServiceEnv,
    *,
    project_id: int,
    roles: Roles,
    text: str,
    now: datetime,
) -> Project:
    """Append a dated note; earlier notes stay."""
    if not text.strip():
        raise ProjectError("empty")
    project = await managed_project(session, project_id=project_id, roles=roles)
    line = f"{now.astimezone(env.tz):%d.%m.%Y}: {text.strip()}"
    project.notes = f"{project.notes}\n{line}" if project.notes else line
    project.updated_at = now
    return project


async def projects_for(session: AsyncSession, *, district: str, year: int) -> list[Project]:
    rows = await session.scalars(
        select(Project)
        .where(Project.district_number == district, Project.year == year)
        .order_by(Project.id)
    )
    return list(rows)


async def counts_for_year(session: AsyncSession, *, year: int) -> dict[str, int]:
    """Projects per district in a year (districts without any are missing)."""
    rows = await session.execute(
        select(Project.district_number, func.count(Project.id))
        .where(Project.year == year)
        .group_by(Project.district_number)
    )
    return {district: int(count) for district, count in rows.tuples()}


async def write_q4_project_reminders(
    session: AsyncSession, env: ServiceEnv, *, now: datetime
) -> int:
    """October to December: remind managers of districts without a project this year,
    once per district and month."""
    local = now.astimezone(env.tz)
    if local.month not in Q4_MONTHS:
        return 0
    counts = await counts_for_year(session, year=local.year)
    written = 0
    for district in (d.number for d in env.reference.districts):
        if counts.get(district):
            continue
        written += await remind_managers_once(
            session,
            env,
            district=district,
            key=f"proj:{district}:{local:%Y-%m}",
            kind=REMINDER_KIND,
            now=now,
            intent=ProjectMissing(district=district, year=local.year),
        )
    return written
