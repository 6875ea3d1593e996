"""The rows that hold a person's data, shared by export and erasure."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.models import Case, CaseEvent, PersistenceEntry, Person


def iso(moment: datetime | None, tz: tzinfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment is not None else None


async def cases_of(session: AsyncSession, person: Person) -> list[Case]:
    rows = await session.scalars(
        select(Case).where(Case.resident_id == person.id).order_by(Case.id)
    )
    return list(rows)


async def persistence_rows(session: AsyncSession, telegram_id: int) -> list[PersistenceEntry]:
    """The person's user data and conversation states (keys are `[chat_id, user_id]`)."""
    rows = await session.scalars(
        select(PersistenceEntry).where(
            or_(
                (PersistenceEntry.kind == "user") & (PersistenceEntry.key == str(telegram_id)),
                PersistenceEntry.kind.startswith("conv:"),
            )
        )
    )
    return [row for row in rows if row.kind == "user" or telegram_id in conv_key(row.key)]


def written_by_resident(person: Person) -> ColumnElement[bool]:
    """Events the person caused as a resident. Acts in an official role (a former manager's
    messages and notes) belong to the administration's records of other people's cases."""
    return (CaseEvent.actor_id == person.id) & (CaseEvent.actor_role == "resident")


def conv_key(key: str) -> list[int]:
    try:
        value = json.loads(key)
    except ValueError:
        return []
    return [part for part in value if isinstance(part, int)] if isinstance(value, list) else []


# What `html.escape` turns a text into for the outbox's HTML messages; `&amp;` last.
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#x27;", "'"), ("&amp;", "&"))


def unescape_html(text: str) -> str:
    """A rendered outbox text as the person wrote it (services do not import `html`)."""
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text
