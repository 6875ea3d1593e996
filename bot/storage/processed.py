"""Rows of `processed_updates`: the ids of updates whose handling is finished and whose
conversation states are written (bot.updates.guard's ledger)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from bot.storage import postgresql  # its insert loads SQLAlchemy's dialect when first used
from bot.storage.models import ProcessedUpdate
from bot.storage.upserts import PROCESSED_UPDATE


async def insert_ids(session: Any, update_ids: Collection[int], now: datetime) -> None:
    """INSERT … ON CONFLICT DO NOTHING, compiled once, for all the ids (one per id on other
    databases)."""
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect in ("sqlite", "postgresql"):
        rows = [{"update_id": i, "processed_at": now} for i in sorted(update_ids)]
        await session.execute(PROCESSED_UPDATE, rows)
        return
    for update_id in sorted(update_ids):
        await insert_once(session, update_id, now)


async def insert_once(session: Any, update_id: int, now: datetime) -> bool:
    """One INSERT … ON CONFLICT DO NOTHING; True if the row is new."""
    values = {"update_id": update_id, "processed_at": now}
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
        statement = (
            insert(ProcessedUpdate)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        result = await session.execute(statement)
        return int(result.rowcount or 0) == 1
    try:  # other databases: a savepoint keeps the transaction usable after a duplicate
        async with session.begin_nested():
            session.add(ProcessedUpdate(**values))
        return True
    except IntegrityError:
        return False
