"""Directory entries: who may change which, the validated data of one entry, and creating,
changing, confirming and retiring entries. What residents may see of an entry is decided
here too (`resident_channels`), so every path to a resident uses the same rule."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access.roles import Role, Roles
from bot.services.basics.reference import ReferenceData
from bot.services.network import channels as check
from bot.services.network.channels import CHANNELS, KINDS, LEGAL_BASES, VISIBILITIES, InvalidValue
from bot.storage.models import NetworkEntry, Person


@dataclass
class EntryData:
    """The fields a person (or an import row) gives for an entry, before validation."""

    name: str = ""
    kind: str = "office"
    role: str | None = None
    description: str | None = None
    districts: list[str] = field(default_factory=list)  # empty: city-wide
    quarters: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    phone: str | None = None
    email: str | None = None
    web: str | None = None
    address: str | None = None
    office_hours: str | None = None
    resident_channels: list[str] = field(default_factory=list)
    staff_notes: str | None = None
    visibility: str = "residents"
    legal_basis: str | None = None
    consent: bool = False  # the listed person agreed (recorded with the time of saving)
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def may_use(roles: Roles) -> bool:
    """Managers, deputies and coordinators keep the directory."""
    return roles.is_coordinator or bool(roles.districts(Role.MANAGER, Role.DEPUTY))


def own_districts(roles: Roles) -> set[str] | None:
    """The districts whose entries the person keeps; None: all (coordinators)."""
    return None if roles.is_coordinator else roles.districts(Role.MANAGER, Role.DEPUTY)


def may_edit(roles: Roles, entry: NetworkEntry) -> bool:
    """Coordinators every entry; managers and deputies entries serving their district
    (city-wide entries are the coordinators')."""
    mine = own_districts(roles)
    return mine is None or bool(mine & set(entry.districts or ()))


def serves(entry: NetworkEntry, districts: Collection[str] | None) -> bool:
    """The entry serves one of the districts (city-wide entries serve all)."""
    return districts is None or not entry.districts or bool(set(entry.districts) & set(districts))


def is_private_person(entry: NetworkEntry) -> bool:
    """A person listed by name who holds no public office."""
    return entry.kind == "person" and entry.legal_basis != "public_office"


def resident_channels(entry: NetworkEntry) -> dict[str, str]:
    """The channels a resident may get: marked for residents and known; none of an entry
    for staff only, of a retired one, or of a private person without recorded consent."""
    if entry.visibility != "residents" or entry.retired_at is not None:
        return {}
    if is_private_person(entry) and entry.consent_at is None:
        return {}
    marked = set(entry.resident_channels or ())
    values = {name: getattr(entry, name) for name in CHANNELS}
    return {name: value for name, value in values.items() if name in marked and value}


def validate(data: EntryData, reference: ReferenceData) -> EntryData:
    """The data checked and normalised; raises InvalidValue naming the first problem."""
    name = data.name.strip()
    if not name or len(name) > 200:
        raise InvalidValue("name", data.name)
    if data.kind not in KINDS:
        raise InvalidValue("kind", data.kind)
    if data.visibility not in VISIBILITIES:
        raise InvalidValue("visibility", data.visibility)
    if data.legal_basis is not None and data.legal_basis not in LEGAL_BASES:
        raise InvalidValue("legal_basis", data.legal_basis)
    if data.kind == "person" and data.legal_basis is None:
        raise InvalidValue("legal_basis", "")
    districts = [
        reference.district(d).number if reference.has_district(d) else "" for d in data.districts
    ]
    if "" in districts:
        raise InvalidValue("district", ",".join(data.districts))
    quarters = []
    for text in data.quarters:
        quarter = reference.quarter(text)
        if quarter is None:
            raise InvalidValue("quarter", text)
        quarters.append(quarter.name)
        if districts and quarter.district_number not in districts:
            districts.append(quarter.district_number)
        elif not districts:
            districts = [quarter.district_number]
    unknown = [t for t in data.topics if not reference.has_topic(t)]
    if unknown:
        raise InvalidValue("topic", ",".join(unknown))
    values = {n: (getattr(data, n) or "").strip() or None for n in CHANNELS}
    checked = {n: check.channel(n, v) if v else None for n, v in values.items()}
    marked = [c for c in data.resident_channels if c in CHANNELS and checked[c]]
    return EntryData(
        name=name,
        kind=data.kind,
        role=_text(data.role, 200, "role"),
        description=_text(data.description, 4000, "description"),
        districts=sorted(set(districts)),
        quarters=sorted(set(quarters)),
        topics=list(dict.fromkeys(data.topics)),
        keywords=[k.strip() for k in data.keywords if k.strip()],
        languages=list(data.languages),
        resident_channels=marked,
        staff_notes=_text(data.staff_notes, 4000, "staff_notes"),
        visibility=data.visibility,
        legal_basis=data.legal_basis,
        consent=data.consent and data.legal_basis == "consent",
        source=_text(data.source, 300, "source"),
        **checked,
    )


def _text(value: str | None, limit: int, reason: str) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise InvalidValue(reason, text[:40])
    return text or None


def data_of(entry: NetworkEntry) -> EntryData:
    """An entry's fields for the edit dialogue and the export."""
    values = {f.name: getattr(entry, f.name) for f in fields(EntryData) if hasattr(entry, f.name)}
    values["consent"] = entry.consent_at is not None
    return EntryData(**values)


def _apply(entry: NetworkEntry, data: EntryData, now: datetime) -> None:
    for f in fields(EntryData):
        if f.name != "consent":
            value = getattr(data, f.name)
            setattr(entry, f.name, list(value) if isinstance(value, list) else value)
    if not data.consent:
        entry.consent_at = None
    elif entry.consent_at is None:
        entry.consent_at = now


async def create(
    session: AsyncSession,
    data: EntryData,
    *,
    now: datetime,
    by: Person | None,
    key: str | None = None,
    confirmed: bool = True,
    person_id: int | None = None,
) -> NetworkEntry:
    """A new entry from validated data; confirmed now by its author unless imported."""
    entry = NetworkEntry(key=key or "n" + secrets.token_hex(5), created_at=now)
    _apply(entry, data, now)
    entry.person_id = person_id
    if confirmed:
        entry.confirmed_at, entry.confirmed_by_id = now, by.id if by else None
    session.add(entry)
    await session.flush()
    return entry


async def update(
    session: AsyncSession, entry: NetworkEntry, data: EntryData, *, now: datetime, by: Person
) -> NetworkEntry:
    """Changed by someone who checked it: that counts as a confirmation too."""
    _apply(entry, data, now)
    entry.confirmed_at, entry.confirmed_by_id = now, by.id
    await session.flush()
    return entry


async def confirm(
    session: AsyncSession, entry: NetworkEntry, *, now: datetime, by: Person
) -> None:
    entry.confirmed_at, entry.confirmed_by_id = now, by.id
    await session.flush()


async def retire(session: AsyncSession, entry: NetworkEntry, *, now: datetime) -> None:
    """No longer offered anywhere; kept for the referral history."""
    entry.retired_at = now
    await session.flush()


async def get(session: AsyncSession, entry_id: int) -> NetworkEntry | None:
    return await session.get(NetworkEntry, entry_id)


async def by_key(session: AsyncSession, key: str) -> NetworkEntry | None:
    found: NetworkEntry | None = await session.scalar(
        select(NetworkEntry).where(NetworkEntry.key == key)
    )
    return found


async def active(
    session: AsyncSession, districts: Collection[str] | None = None
) -> list[NetworkEntry]:
    """Entries not retired that serve one of the districts (all for None), oldest first."""
    rows = await session.scalars(
        select(NetworkEntry).where(NetworkEntry.retired_at.is_(None)).order_by(NetworkEntry.id)
    )
    return [e for e in rows if serves(e, districts)]


def names(entries: Iterable[NetworkEntry]) -> dict[int, str]:
    return {e.id: e.name for e in entries}
