"""The rows of `ptb_persistence`: conversation states and per-user data as JSON, read and
written for the python-telegram-bot persistence in `bot.updates.persistence`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
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
    """Write the rows in one transaction; None deletes a row. The upserts go out as one
    statement: a burst of updates changes many rows, and a round trip each held the
    connection for as many (webhook load test on PostgreSQL)."""
    upserts = {row: data for row, data in batch.items() if data is not None}
    async with session_scope(session_maker) as session:
        for kind, key in (row for row, data in batch.items() if data is None):
            await session.execute(
                delete(PersistenceEntry).where(
                    PersistenceEntry.kind == kind, PersistenceEntry.key == key
                )
            )
        if upserts:
            await _upsert(session, upserts)


async def _upsert(session: AsyncSession, rows: Mapping[Row, Any]) -> None:
    """One INSERT … ON CONFLICT DO UPDATE for all rows (safe when two instances write the
    same row; each row appears once, as the batch is keyed by row)."""
    now = datetime.now(UTC)
    values = [
        {"kind": kind, "key": key, "data": data, "updated_at": now}
        for (kind, key), data in rows.items()
    ]
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect not in ("sqlite", "postgresql"):
        for value in values:
            await session.merge(PersistenceEntry(**value))
        return
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(PersistenceEntry).values(values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["kind", "key"],
            set_={"data": statement.excluded.data, "updated_at": statement.excluded.updated_at},
        )
    )
