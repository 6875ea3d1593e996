"""What a person's roles open to them at home: the parts of their command menu, help and
keyboard (`Part`), and who needs their command menu set or removed.

The menu itself (commands, texts) belongs to the message layer and Telegram's calls to the
handlers; this module only decides from the role rows and remembers the fingerprint of the
menu last set in each chat, so nothing is sent twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Role, Roles
from bot.storage.models import Person, RoleAssignment


class Part(StrEnum):
    """A group of staff commands; a person may hold several."""

    DISTRICT = "district"  # managers and deputies of a district
    COORDINATION = "coordination"  # coordinators (18.6) and administrators
    DEPARTMENT = "department"  # representatives of a department
    COUNCIL = "council"  # members of a district council and its mayor
    COUNCIL_SUPPORT = "council_support"  # Bezirksratsbetreuung


def parts_of(roles: Roles) -> tuple[Part, ...]:
    """The staff parts of a person's active roles, in menu order (empty: a resident)."""
    found: list[Part] = []
    if roles.districts(Role.MANAGER, Role.DEPUTY):
        found.append(Part.DISTRICT)
    if roles.is_coordinator:
        found.append(Part.COORDINATION)
    if roles.departments():
        found.append(Part.DEPARTMENT)
    if roles.districts(Role.COUNCIL_MEMBER, Role.MAYOR):
        found.append(Part.COUNCIL)
    if roles.districts(Role.COUNCIL_SUPPORT):
        found.append(Part.COUNCIL_SUPPORT)
    return tuple(found)


def is_district_staff(parts: Collection[Part]) -> bool:
    """Managers, deputies and coordinators work on cases; reps only on agreements."""
    return Part.DISTRICT in parts or Part.COORDINATION in parts


@dataclass(frozen=True)
class MenuTarget:
    """A chat whose command menu may need setting (parts) or removing (no parts)."""

    person_id: int
    telegram_id: int
    language: str | None
    parts: tuple[Part, ...]
    fingerprint: str | None  # of the menu set last; None: the default menu shows


async def menu_targets(
    session: AsyncSession, *, admin_ids: Iterable[int], person_ids: Collection[int] | None = None
) -> list[MenuTarget]:
    """Everyone holding a role (configured admins included) and everyone with a menu of their
    own, which must go once their roles have ended; `person_ids` narrows to those people."""
    admins = set(admin_ids)
    holders = select(RoleAssignment.person_id).where(RoleAssignment.ended_at.is_(None))
    query = select(Person).where(
        Person.telegram_id.is_not(None),
        Person.erased_at.is_(None),
        or_(
            Person.id.in_(holders),
            Person.menu_fingerprint.is_not(None),
            Person.telegram_id.in_(sorted(admins)),
        ),
    )
    if person_ids is not None:
        query = query.where(Person.id.in_(sorted(person_ids)))
    persons = list(await session.scalars(query.order_by(Person.id)))
    rows = await session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.ended_at.is_(None),
            RoleAssignment.person_id.in_([p.id for p in persons]),
        )
    )
    held: dict[int, list[RoleAssignment]] = {}
    for row in rows:
        held.setdefault(row.person_id, []).append(row)
    targets = []
    for person in persons:
        assert person.telegram_id is not None  # selected so
        roles = Roles(person.id, tuple(held.get(person.id, ())), person.telegram_id in admins)
        targets.append(
            MenuTarget(
                person.id,
                person.telegram_id,
                person.language,
                parts_of(roles),
                person.menu_fingerprint,
            )
        )
    return targets


async def record_menu(session: AsyncSession, *, person_id: int, fingerprint: str | None) -> None:
    """Remember the menu just set in the person's chat (None: removed, the default shows)."""
    await session.execute(
        update(Person).where(Person.id == person_id).values(menu_fingerprint=fingerprint)
    )
