"""Who holds which role; every authorisation decision reads these rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Absence, Person, RoleAssignment


class Role(StrEnum):
    MANAGER = "manager"
    DEPUTY = "deputy"
    REP = "rep"
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    COUNCIL_MEMBER = "council_member"  # with a fraction (RoleAssignment.fraction)
    MAYOR = "mayor"  # district mayor (Bezirksbürgermeister/in)
    COUNCIL_SUPPORT = "council_support"  # Bezirksratsbetreuung


STAFF_ROLES = (Role.MANAGER, Role.DEPUTY, Role.COORDINATOR, Role.ADMIN)


@dataclass(frozen=True)
class Roles:
    """The active roles of one person, plus configured admins."""

    person_id: int | None
    assignments: tuple[RoleAssignment, ...]
    is_admin: bool = False

    def districts(self, *roles: Role) -> set[str]:
        wanted = set(roles or (Role.MANAGER, Role.DEPUTY))
        return {
            a.district_number
            for a in self.assignments
            if a.role in wanted and a.district_number is not None
        }

    @property
    def is_coordinator(self) -> bool:
        return self.is_admin or any(
            a.role in (Role.COORDINATOR, Role.ADMIN) for a in self.assignments
        )

    @property
    def is_staff(self) -> bool:
        return self.is_coordinator or any(a.role in STAFF_ROLES for a in self.assignments)

    def can_manage_district(self, district_number: str) -> bool:
        """Managers and deputies of the district, and coordinators for every district."""
        return self.is_coordinator or district_number in self.districts()

    def departments(self) -> set[str]:
        return {
            a.department_number
            for a in self.assignments
            if a.role == Role.REP and a.department_number is not None
        }


async def load_roles(
    session: AsyncSession, *, person: Person | None, admin_ids: Iterable[int]
) -> Roles:
    is_admin = person is not None and person.telegram_id in set(admin_ids)
    if person is None:
        return Roles(None, (), is_admin)
    rows = await session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.person_id == person.id, RoleAssignment.ended_at.is_(None)
        )
    )
    return Roles(person.id, tuple(rows), is_admin)


async def assign_role(
    session: AsyncSession,
    *,
    person: Person,
    role: Role,
    now: datetime,
    district_number: str | None = None,
    department_number: str | None = None,
    invitation_id: int | None = None,
) -> RoleAssignment:
    """Give a role; a new manager of a district replaces the previous one (history stays)."""
    if role == Role.MANAGER and district_number is not None:
        previous = await session.scalars(
            select(RoleAssignment).where(
                RoleAssignment.role == Role.MANAGER,
                RoleAssignment.district_number == district_number,
                RoleAssignment.ended_at.is_(None),
            )
        )
        for row in previous:
            row.ended_at = now
    assignment = RoleAssignment(
        person_id=person.id,
        role=role,
        district_number=district_number,
        department_number=department_number,
        invitation_id=invitation_id,
        created_at=now,
    )
    session.add(assignment)
    await session.flush()
    return assignment


async def _holders(
    session: AsyncSession, role: Role, district_number: str | None = None
) -> list[Person]:
    query = (
        select(Person)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(RoleAssignment.role == role, RoleAssignment.ended_at.is_(None))
        .order_by(RoleAssignment.id)
    )
    if district_number is not None:
        query = query.where(RoleAssignment.district_number == district_number)
    return list((await session.scalars(query)).unique())


async def coordinator_chat_ids(session: AsyncSession, *, admin_ids: Iterable[int]) -> list[int]:
    """Coordinators bound by invitation plus the configured admins, without duplicates."""
    ids = [p.telegram_id for p in await _holders(session, Role.COORDINATOR) if p.telegram_id]
    for admin in admin_ids:
        if admin not in ids:
            ids.append(admin)
    return ids


_AT: Any = Absence.__table__.c.starts_at.type
# Every bound manager and deputy of a district (with whether each is absent now) and every
# coordinator; built once, so SQLAlchemy reuses its cache key and compiled form.
_RECIPIENTS = (
    select(
        RoleAssignment.role,
        Person.telegram_id,
        select(Absence.id)
        .where(
            Absence.person_id == Person.id,
            Absence.starts_at <= bindparam("now", type_=_AT),
            Absence.ends_at > bindparam("now", type_=_AT),
        )
        .exists(),
    )
    .join(Person, Person.id == RoleAssignment.person_id)
    .where(
        RoleAssignment.ended_at.is_(None),
        or_(
            and_(
                RoleAssignment.role.in_((Role.MANAGER, Role.DEPUTY)),
                RoleAssignment.district_number == bindparam("district"),
            ),
            RoleAssignment.role == Role.COORDINATOR,
        ),
    )
    .order_by(RoleAssignment.id)
)


async def district_recipients(
    session: AsyncSession, *, district_number: str, now: datetime, admin_ids: Iterable[int]
) -> tuple[list[int], str]:
    """Chat ids that receive a district's new cases, and who they are.

    The manager, unless absent; then the deputies; with nobody bound, the coordinators.
    One query reads all three (with each manager's absence), since every new case asks.
    """
    values = {"now": now, "district": district_number}
    rows = await session.execute(_RECIPIENTS, values)
    holders: dict[str, list[int]] = {Role.MANAGER: [], Role.DEPUTY: [], Role.COORDINATOR: []}
    for role, telegram_id, is_absent_now in rows:
        chosen = holders[role]
        if telegram_id and telegram_id not in chosen:
            if role == Role.MANAGER and is_absent_now:
                continue
            chosen.append(telegram_id)
    if holders[Role.MANAGER]:
        return holders[Role.MANAGER], "manager"
    if holders[Role.DEPUTY]:
        return holders[Role.DEPUTY], "deputy"
    coordinators = holders[Role.COORDINATOR]
    for admin in admin_ids:  # as coordinator_chat_ids: the configured admins too
        if admin not in coordinators:
            coordinators.append(admin)
    return coordinators, "coordinator"


async def holds_a_role(session: AsyncSession, *, telegram_id: int) -> bool:
    """Whether the account holds any active role (staff, department, council): one indexed
    query, for flood control's higher limit."""
    found = await session.scalar(
        select(RoleAssignment.id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(Person.telegram_id == telegram_id, RoleAssignment.ended_at.is_(None))
        .limit(1)
    )
    return found is not None
