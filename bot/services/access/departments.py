"""Coordinators correct a department's name (`/fachbereich 66 Tiefbau`).

The shipped names (bot/data/departments.json) are evidenced or marked unconfirmed; a
coordinator's correction is stored in the database, counts as confirmed and overrides the file
in the running bot's reference data at once and after every start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Roles
from bot.services.basics.reference import ReferenceData
from bot.storage.models import DepartmentName, Person

MAX_NAME = 120


class Refusal(StrEnum):
    NOT_ALLOWED = "not_allowed"  # only coordinators and admins
    UNKNOWN = "unknown"  # a number the directory does not have
    NAME = "name"  # empty or longer than MAX_NAME


@dataclass(frozen=True)
class Renamed:
    number: str
    old: str | None  # the name before (None: none was known)
    new: str


def may_rename(roles: Roles) -> bool:
    return roles.is_coordinator


def check(roles: Roles, reference: ReferenceData, number: str, name: str) -> Refusal | None:
    """Why this correction cannot be made, or None."""
    if not may_rename(roles):
        return Refusal.NOT_ALLOWED
    if not number.isdigit() or not reference.has_department(number):
        return Refusal.UNKNOWN
    if not name.strip() or len(name.strip()) > MAX_NAME:
        return Refusal.NAME
    return None


async def rename(
    session: AsyncSession,
    reference: ReferenceData,
    *,
    person: Person,
    number: str,
    name: str,
    now: datetime,
) -> Renamed:
    """Store the corrected name (checked with :func:`check` first) and use it at once."""
    department = reference.department(number)
    name = " ".join(name.split())
    row = await session.get(DepartmentName, department.number)
    if row is None:
        row = DepartmentName(number=department.number, name=name, changed_at=now)
        session.add(row)
    row.name, row.changed_by_id, row.changed_at = name, person.id, now
    await session.flush()
    reference.rename_department(department.number, name)
    return Renamed(department.number, department.name_de, name)


async def apply_corrections(session: AsyncSession, reference: ReferenceData) -> int:
    """Put the stored corrections over the shipped names (at start); how many were applied.
    A stored number the data no longer has is left alone."""
    rows = list(await session.scalars(select(DepartmentName)))
    known = [row for row in rows if reference.has_department(row.number)]
    for row in known:
        reference.rename_department(row.number, row.name)
    return len(known)
