"""The rows of `ptb_persistence`: conversation states and per-user data as JSON, read and
written for the python-telegram-bot persistence in `bot.updates.persistence`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import SessionMaker, session_scope
from bot.storage.models import PersistenceEntry

Row = tuple[str, str]  # (kind, key): kind is "user" or "conv:<name>"


async def load_rows(session_maker: SessionMaker, kind: str) -> dict[str, Any]:
    """Every stored row of `kind`, by key."""
    async with session_scope(session_maker) as session:
        rows = await session.scalars(select(PersistenceEntry).where(PersistenceEntry.kind == kind))
        return {row.key: row.data for row in rows}


async def write_rows(session_maker: SessionMaker, batch: Mapping[Row, Any | None]) -> None:
    """Write the rows in one transaction; None deletes a row. The deletes are one statement
    and the writes another, however many rows the batch holds."""
    now = datetime.now(UTC)
    gone = [{"k": kind, "kk": key} for (kind, key), data in batch.items() if data is None]
    kept = [
        {"kind": kind, "key": key, "data": data, "updated_at": now}
        for (kind, key), data in batch.items()
        if data is not None
    ]
    async with session_scope(session_maker) as session:
        if gone:
            table: Any = PersistenceEntry.__table__
            which = (table.c.kind == bindparam("k"), table.c.key == bindparam("kk"))
            await session.execute(delete(table).where(*which), gone)
        if kept:
            await _upsert(session, kept)


async def _upsert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO UPDATE (safe when two instances write the same row)."""
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect not in ("sqlite", "postgresql"):
        for row in rows:
            await session.merge(PersistenceEntry(**row))
        return
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(PersistenceEntry)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["kind", "key"],
            set_={"data": statement.excluded.data, "updated_at": statement.excluded.updated_at},
        ),
        rows,
    )
