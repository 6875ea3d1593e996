""" "Who is my district manager?": the card residents get for their district. The manager's
name and office hours only where the manager agreed to publish them (their own directory
entry with recorded consent); otherwise the district management unit's channels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Role
from bot.services.basics.reference import fold
from bot.services.network import channels, entries
from bot.services.network.entries import EntryData
from bot.storage.models import Case, NetworkEntry, Person, RoleAssignment

UNIT_KEY = "district_management"  # the shipped entry of the district management unit
MANAGER_ROLE = "Bezirksmanagement"


@dataclass(frozen=True)
class DistrictCard:
    district: str
    manager_name: str | None  # only when published with consent
    channels: dict[str, str]  # what residents may get: the manager's or the unit's
    unit_name: str | None = None


async def managers_of(session: AsyncSession, district: str) -> list[Person]:
    rows = await session.scalars(
        select(Person)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(
            RoleAssignment.role == Role.MANAGER,
            RoleAssignment.district_number == district,
            RoleAssignment.ended_at.is_(None),
        )
        .order_by(RoleAssignment.id)
    )
    return list(rows)


async def own_entry(session: AsyncSession, person: Person) -> NetworkEntry | None:
    """The manager's own entry (kept by /mein_bezirk), retired or not."""
    found: NetworkEntry | None = await session.scalar(
        select(NetworkEntry)
        .where(NetworkEntry.person_id == person.id, NetworkEntry.role == MANAGER_ROLE)
        .order_by(NetworkEntry.id.desc())
        .limit(1)
    )
    return found


async def _unit(session: AsyncSession, district: str) -> NetworkEntry | None:
    found = [e for e in await entries.active(session, [district]) if e.visibility == "residents"]
    local = [e for e in found if district in e.districts and "bezirksmanagement" in fold(e.name)]
    shipped = [e for e in found if e.key == UNIT_KEY]
    chosen = local or shipped
    return chosen[0] if chosen else None


async def district_card(session: AsyncSession, district: str) -> DistrictCard:
    for manager in await managers_of(session, district):
        entry = await own_entry(session, manager)
        if entry is not None and entry.retired_at is None and entry.consent_at is not None:
            return DistrictCard(district, entry.name, entries.resident_channels(entry))
    unit = await _unit(session, district)
    shown = entries.resident_channels(unit) if unit is not None else {}
    return DistrictCard(district, None, shown, unit.name if unit is not None else None)


async def resident_district(session: AsyncSession, person: Person) -> str | None:
    """The district of the resident's latest concern."""
    found: str | None = await session.scalar(
        select(Case.district_number)
        .where(Case.resident_id == person.id)
        .order_by(Case.created_at.desc())
        .limit(1)
    )
    return found


async def publish(
    session: AsyncSession,
    manager: Person,
    *,
    district: str,
    name: str,
    office_hours: str,
    now: datetime,
) -> NetworkEntry:
    """The manager agrees to publish their name and office hours (validated) to residents."""
    hours = channels.office_hours(office_hours)
    clean = name.strip()
    if not clean or len(clean) > 200:
        raise channels.InvalidValue("name", clean)
    data = EntryData(
        name=clean,
        kind="person",
        role=MANAGER_ROLE,
        districts=[district],
        office_hours=hours,
        resident_channels=["office_hours"],
        legal_basis="consent",
        consent=True,
        source="/mein_bezirk",
    )
    entry = await own_entry(session, manager)
    if entry is None:
        return await entries.create(session, data, now=now, by=manager, person_id=manager.id)
    entry.retired_at = None
    await entries.update(session, entry, data, now=now, by=manager)
    return entry


async def withdraw(session: AsyncSession, manager: Person, *, now: datetime) -> bool:
    """Consent withdrawn: the entry is retired and residents get the unit's channels."""
    entry = await own_entry(session, manager)
    if entry is None or entry.consent_at is None:
        return False
    entry.consent_at, entry.retired_at = None, now
    await session.flush()
    return True
