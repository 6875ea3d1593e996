"""Import and export of the directory as CSV or XLSX, and the first import: the referral
data shipped in `bot/data/referrals.json`, put into an empty directory at start.

An import checks every row before it changes anything: each bad row is reported with its
line and reason, and nothing is imported unless the caller skips bad rows. A row with the
`key` of an existing entry updates it (a city list loaded again)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access import people
from bot.services.basics.reference import ReferenceData
from bot.services.network import entries
from bot.services.network.channels import CHANNELS, InvalidValue, languages
from bot.services.network.entries import EntryData
from bot.storage.models import NetworkEntry

COLUMNS = (
    "key", "name", "kind", "role", "description", "districts", "quarters", "topics",
    "keywords", "languages", *CHANNELS, "resident_channels", "staff_notes", "visibility",
    "legal_basis", "consent", "source", "confirmed_at", "telegram_id",
)  # fmt: skip
LISTS = ("districts", "quarters", "topics", "keywords", "resident_channels")
EXTERNAL = {"regional_roads", "street_lighting", "waste_cleaning"}  # not the city's offices
YES = {"yes", "ja", "true", "1", "x"}


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str  # a code of channels.InvalidValue, or "columns", "key"
    value: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    bad: list[BadRow] = field(default_factory=list)
    imported: bool = False


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace(",", ";").split(";") if p.strip()]


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line, row) of a CSV (UTF-8, comma or semicolon) or XLSX file; line 1 is the header."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        assert sheet is not None
        values = [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
        header = [h.strip() for h in values[0]] if values else []
        return [(n, dict(zip(header, row, strict=False))) for n, row in enumerate(values[1:], 2)]
    text = path.read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    return [(reader.line_num, {k: v or "" for k, v in row.items() if k}) for row in reader]


def row_data(row: dict[str, str], reference: ReferenceData) -> EntryData:
    """One row as validated entry data; raises InvalidValue."""
    cell = {k: (row.get(k) or "").strip() for k in COLUMNS}
    values: dict[str, Any] = {k: _split(cell[k]) for k in LISTS}
    values.update({c: cell[c] or None for c in CHANNELS})
    data = EntryData(
        name=cell["name"],
        kind=cell["kind"] or "office",
        role=cell["role"] or None,
        description=cell["description"] or None,
        languages=languages(cell["languages"]) if cell["languages"] else [],
        staff_notes=cell["staff_notes"] or None,
        visibility=cell["visibility"] or "residents",
        legal_basis=cell["legal_basis"] or None,
        consent=cell["consent"].lower() in YES,
        source=cell["source"] or None,
        **values,
    )
    return entries.validate(data, reference)


async def import_rows(
    session: AsyncSession,
    rows: Iterable[tuple[int, dict[str, str]]],
    reference: ReferenceData,
    *,
    now: datetime,
    skip_bad: bool = False,
) -> ImportResult:
    result = ImportResult()
    good: list[tuple[str | None, EntryData, int | None]] = []
    keys: set[str] = set()
    for line, row in rows:
        key = (row.get("key") or "").strip() or None
        if key is not None and (
            key in keys or len(key) > 40 or not key.replace("_", "").replace("-", "").isalnum()
        ):
            result.bad.append(BadRow(line, "key", key))
            continue
        account = (row.get("telegram_id") or "").strip()
        if account and not account.isdigit():
            result.bad.append(BadRow(line, "telegram_id", account))
            continue
        try:
            good.append((key, row_data(row, reference), int(account) if account else None))
        except InvalidValue as error:
            result.bad.append(BadRow(line, error.reason, error.value))
            continue
        keys |= {key} if key else set()
    if result.bad and not skip_bad:
        return result
    for key, data, telegram in good:
        person_id = await _person_id(session, telegram, now) if telegram else None
        existing = await entries.by_key(session, key) if key else None
        if existing is not None:
            for name, value in data.as_dict().items():
                if name != "consent":
                    setattr(existing, name, value)
            existing.person_id = person_id or existing.person_id
            result.updated += 1
        else:
            await entries.create(
                session, data, now=now, by=None, key=key, confirmed=False, person_id=person_id
            )
            result.created += 1
    await session.flush()
    result.imported = True
    return result


async def _person_id(session: AsyncSession, telegram_id: int, now: datetime) -> int:
    """The listed person's account (so their export and erasure find the entry); a person
    row is made for an account that has not written to the bot yet."""
    person = await people.get_or_create_person(
        session, telegram_id=telegram_id, first_name=None, language=None, now=now
    )
    return person.id


def export_rows(
    found: Iterable[NetworkEntry], accounts: dict[int, int] | None = None
) -> list[dict[str, str]]:
    """Rows of the file; `accounts` maps person ids to Telegram ids for `telegram_id`."""
    rows = []
    for entry in found:
        row = {}
        for column in COLUMNS:
            value = getattr(entry, column, None)
            if column == "consent":
                value = "yes" if entry.consent_at else ""
            elif column == "telegram_id":
                value = (accounts or {}).get(entry.person_id or 0)
            elif column == "confirmed_at":
                value = entry.confirmed_at.isoformat() if entry.confirmed_at else ""
            elif column in LISTS or column == "languages":
                value = "; ".join(value or ())
            row[column] = "" if value is None else str(value)
        rows.append(row)
    return rows


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(list(COLUMNS))
        for row in rows:
            sheet.append([row[c] for c in COLUMNS])
        book.save(path)
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)


async def seed_shipped(session: AsyncSession, reference: ReferenceData, now: datetime) -> int:
    """Into an empty directory: the shipped referral contacts, for residents, city-wide."""
    if await session.scalar(select(func.count()).select_from(NetworkEntry)):
        return 0
    for contact in reference.referrals:
        given: dict[str, Any] = {
            "phone": contact.phone,
            "email": contact.email,
            "web": contact.web,
            "address": contact.address,
            "office_hours": contact.opening_hours,
        }
        data = EntryData(
            name=contact.name_de,
            kind="external" if contact.key in EXTERNAL else "office",
            role=contact.responsible,
            description=contact.description_de,
            topics=list(contact.topics),
            keywords=[
                *contact.keywords_de,
                *contact.keywords_en,
                *([contact.name_en] if contact.name_en else []),
            ],
            resident_channels=[c for c, v in given.items() if v],
            source=f"bot/data/referrals.json: {contact.confidence}"[:300],
            **given,
        )
        await entries.create(session, data, now=now, by=None, key=contact.key, confirmed=False)
    return len(reference.referrals)
