"""The demo's extras: its own clock (time travel with `:zeit`), binding its staff personas,
and files the bot sends, saved to a folder."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.offline.personas import STAFF, Persona
from bot.offline.records import SentMessage
from bot.services.access import people
from bot.services.access.roles import Role, assign_role
from bot.storage.db import SessionMaker, session_scope
from bot.storage.models import CaseMessage, Person, ProcessedUpdate, RoleAssignment

UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "std": "hours", "d": "days",
         "t": "days", "w": "weeks"}  # fmt: skip
TRAVEL_HINT = "z. B. :zeit +3d, :zeit +4h, :zeit +30m oder :zeit 2026-12-10 09:00"


class DemoClock:
    """The real time plus an offset that `:zeit` moves forward (never back)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def timestamp(self) -> float:
        return self.now().timestamp()

    def travel_to(self, moment: datetime) -> None:
        if moment <= self.now():
            raise ValueError("die Demo-Zeit läuft nur vorwärts")
        self.offset += moment - self.now()


def target(args: list[str], now: datetime, tz: ZoneInfo) -> datetime:
    """`+3d`, `+4h`, `+30m`, `+1w` from now, or a local `2026-12-10 09:00` / `10.12.2026 9:00`."""
    text = " ".join(args).strip()
    relative = re.fullmatch(r"\+\s*(\d{1,4})\s*([a-z]+)", text.lower())
    if relative and relative.group(2) in UNITS:
        return now + timedelta(**{UNITS[relative.group(2)]: int(relative.group(1))})
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=tz).astimezone(UTC)
        except ValueError:
            continue
    raise ValueError(f"„{text}“ ist keine Zeitangabe – {TRAVEL_HINT}")


def save_file(folder: Path, message: SentMessage) -> Path | None:
    """Write a document the bot sent into `folder`; returns its path (None without content)."""
    document = message.document
    if document is None or document.content is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    name = Path(document.file_name or "datei").name or "datei"
    path = folder / f"{message.message_id}-{name}"
    path.write_bytes(document.content)
    return path


async def prepare(maker: SessionMaker, now: datetime) -> tuple[int, int]:
    """Bind the demo's staff personas once; return the highest message and update ids used."""
    async with session_scope(maker) as session:
        for persona, role, district, department in STAFF:
            await _bind(session, persona, role, district, department, now)
        message_id = await session.scalar(select(func.max(CaseMessage.message_id)))
        update_id = await session.scalar(select(func.max(ProcessedUpdate.update_id)))
    return int(message_id or 0), int(update_id or 0)


async def _bind(
    session: AsyncSession, persona: Persona, role: Role, district: str, department: str | None,
    now: datetime,
) -> None:  # fmt: skip
    bound = await session.scalar(
        select(RoleAssignment.id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            Person.telegram_id == persona.user_id,
            RoleAssignment.role == role,
            RoleAssignment.district_number == district,
            RoleAssignment.ended_at.is_(None),
        )
    )
    if bound is not None:
        return
    person = await people.get_or_create_person(
        session, telegram_id=persona.user_id, first_name=persona.first_name, language=None,
        now=now,
    )  # fmt: skip
    await assign_role(
        session, person=person, role=role, now=now, district_number=district,
        department_number=department,
    )  # fmt: skip
