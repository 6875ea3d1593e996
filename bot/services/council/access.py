"""Who may do what in the council's work: members submit for their district, the manager
(deputy, coordinators) assigns and approves, the council support keeps the sessions, and an
assigned rep drafts. Every check reads roles loaded from the database for this update."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Role, Roles, district_recipients
from bot.storage.models import Person, RoleAssignment, Statement

MEMBER_ROLES = (Role.COUNCIL_MEMBER, Role.MAYOR)
READERS = (Role.MANAGER, Role.DEPUTY, Role.COUNCIL_SUPPORT, Role.MAYOR)  # the district's list


class NotAllowed(PermissionError):
    """The sender may not do this (the handler answers with the one refusal)."""


def member_districts(roles: Roles) -> list[str]:
    return sorted(roles.districts(*MEMBER_ROLES))


def fraction_of(roles: Roles, district: str) -> str | None:
    for a in roles.assignments:
        if a.role in MEMBER_ROLES and a.district_number == district and a.fraction:
            return a.fraction
    return None


def may_submit(roles: Roles, district: str) -> bool:
    return district in roles.districts(*MEMBER_ROLES)


def may_manage(roles: Roles, district: str) -> bool:
    """Assign, edit, approve, answer information requests: the manager, deputy, coordinators."""
    return roles.can_manage_district(district)


def may_keep_sessions(roles: Roles, district: str) -> bool:
    """Sessions, the pack, marking answers given: the manager's side and the council support."""
    return may_manage(roles, district) or district in roles.districts(Role.COUNCIL_SUPPORT)


def may_read(roles: Roles, district: str) -> bool:
    """The district's inquiry list: those who keep sessions, and the district mayor."""
    return may_keep_sessions(roles, district) or district in roles.districts(Role.MAYOR)


def prepared_districts(roles: Roles) -> list[str]:
    """The districts whose sessions the sender keeps (managers, deputies, support)."""
    return sorted(roles.districts(Role.MANAGER, Role.DEPUTY, Role.COUNCIL_SUPPORT))


def may_draft(roles: Roles, statement: Statement, district: str) -> bool:
    """Only the rep the part is assigned to, while they still represent the department there."""
    return (
        statement.rep_id is not None
        and statement.rep_id == roles.person_id
        and any(
            a.role == Role.REP
            and a.department_number == statement.department_number
            and a.district_number == district
            for a in roles.assignments
        )
    )


async def holders(session: AsyncSession, role: Role, district: str) -> list[Person]:
    rows = await session.scalars(
        select(Person)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(
            RoleAssignment.role == role,
            RoleAssignment.district_number == district,
            RoleAssignment.ended_at.is_(None),
        )
        .order_by(RoleAssignment.id)
    )
    return list(rows.unique())


async def preparers(
    session: AsyncSession, *, district: str, now: datetime, admin_ids: Iterable[int]
) -> list[int]:
    """Chat ids of whoever handles the district now (manager, deputy or coordinators) and of
    its council support, without duplicates."""
    chat_ids, _ = await district_recipients(
        session, district_number=district, now=now, admin_ids=admin_ids
    )
    for person in await holders(session, Role.COUNCIL_SUPPORT, district):
        if person.telegram_id and person.telegram_id not in chat_ids:
            chat_ids.append(person.telegram_id)
    return chat_ids


async def holds_council_seat(session: AsyncSession, person_id: int) -> bool:
    """Whether the person sits on a district council (member or mayor) today."""
    found = await session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.person_id == person_id,
            RoleAssignment.role.in_(MEMBER_ROLES),
            RoleAssignment.ended_at.is_(None),
        )
    )
    return found is not None
