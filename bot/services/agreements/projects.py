"""District development projects: at least one per district and year.

Callers check that the sender may manage the project's district; the fourth-quarter reminder
goes to the manager of every district without a project for the year, once a month.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from bot.services.agreements.conferences import remind_managers_once
from bot.services.basics.env import ServiceEnv
from bot.storage.models import Person, Project

STATUSES = {"planned": N_("planned"), "running": N_("running"), "done": N_("done")}
REMINDER_KIND = "project_missing"
Q4_MONTHS = (10, 11, 12)
MAX_TITLE = 200


class ProjectError(ValueError):
    """Input that does not fit a project (unknown topic or status, empty title)."""


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
    session: AsyncSession, *, project: Project, status: str, now: datetime
) -> None:
    if status not in STATUSES:
        raise ProjectError("status")
    project.status, project.updated_at = status, now


async def add_note(
    session: AsyncSession, env: ServiceEnv, *, project: Project, text: str, now: datetime
) -> None:
    """Append a dated note; earlier notes stay."""
    if not text.strip():
        raise ProjectError("empty")
    line = f"{now.astimezone(env.tz):%d.%m.%Y}: {text.strip()}"
    project.notes = f"{project.notes}\n{line}" if project.notes else line
    project.updated_at = now


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


def project_text(t: Translator, env: ServiceEnv, project: Project) -> str:
    """Title, topic, partners, status and notes (HTML)."""
    topic = (
        env.reference.topic(project.topic).label(t.language)
        if project.topic and env.reference.has_topic(project.topic)
        else "–"
    )
    lines = [
        "<b>" + escape(project.title) + "</b>",
        escape(t("Topic: {topic}", topic=topic)),
        escape(t("Partners: {partners}", partners=project.partners or "–")),
        escape(t("Status: {status}", status=t(STATUSES.get(project.status, project.status)))),
    ]
    if project.notes:
        lines.append(escape(t("Notes:")) + "\n" + escape(project.notes))
    return "\n".join(lines)


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
        name = env.reference.district(district).name
        written += await remind_managers_once(
            session,
            env,
            district=district,
            key=f"proj:{district}:{local:%Y-%m}",
            kind=REMINDER_KIND,
            now=now,
            render=lambda t, name=name: escape(
                t(
                    "{district} has no district development project for {year} yet. Please record "
                    "one with /projekt.",
                    district=name,
                    year=local.year,
                )
            ),
        )
    return written
