"""The rows of `ptb_persistence`: conversation states and per-user data as JSON, read and
written for the python-telegram-bot persistence in `bot.updates.persistence`."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, select

from bot.storage.db import SessionMaker, session_scope
from bot.storage.models import PersistenceEntry
from bot.storage.processed import insert_ids
from bot.storage.upserts import PERSISTENCE_ROW

Row = tuple[str, str]  # (kind, key): kind is "user" or "conv:<name>"


async def load_rows(session_maker: SessionMaker, kind: str) -> dict[str, Any]:
    """Every stored row of `kind`, by key."""
    async with session_scope(session_maker) as session:
        rows = await session.scalars(select(PersistenceEntry).where(PersistenceEntry.kind == kind))
        return {row.key: row.data for row in rows}


async def write_rows(
    session_maker: SessionMaker,
    batch: Mapping[Row, Any | None],
    *,
    processed: Collection[int] = (),
    processed_at: datetime | None = None,
) -> None:
    """Write the rows in one transaction; None deletes a row. The deletes are one statement
    and the writes another, however many rows the batch holds; the ids of the updates
    `processed` (that changed them) are recorded in the same transaction."""
    now = datetime.now(UTC)
    gone = [{"k": kind, "kk": key} for (kind, key), data in batch.items() if data is None]
    kept = [
        {"kind": kind, "key": key, "data": data, "updated_at": now}
        for (kind, key), data in batch.items()
        if data is not None
    ]
    async with session_scope(session_maker) as session:
        dialect = session.bind.dialect.name if session.bind is not None else ""
        if processed:
            await insert_ids(session, processed, processed_at or now)
        if gone:
            await session.execute(_delete_statement(), gone)
        if not kept:
            return
        if dialect not in ("sqlite", "postgresql"):
            for row in kept:
                await session.merge(PersistenceEntry(**row))
            return
        # INSERT … ON CONFLICT DO UPDATE: safe when two instances write the same row
        await session.execute(PERSISTENCE_ROW, kept)


@functools.cache
def _delete_statement() -> Any:
    """The delete of one row by kind and key, built once."""
    table: Any = PersistenceEntry.__table__
    return delete(table).where(table.c.kind == bindparam("k"), table.c.key == bindparam("kk"))
