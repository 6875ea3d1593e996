"""The engine's connection pool keeps enough connections open for a burst of updates."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.pool import NullPool, QueuePool

from bot.storage.db import (
    POSTGRES_MAX_OVERFLOW,
    POSTGRES_POOL_SIZE,
    SQLITE_MAX_OVERFLOW,
    SQLITE_POOL_SIZE,
    create_engine,
)

URL = "postgresql+asyncpg://bezirksbot@127.0.0.1:1/bezirksbot"


async def test_postgres_keeps_twenty_connections_open() -> None:
    engine = create_engine(URL)
    try:
        pool = engine.sync_engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == POSTGRES_POOL_SIZE == 20
        assert pool._max_overflow == POSTGRES_MAX_OVERFLOW
    finally:
        await engine.dispose()


async def test_a_pool_of_its_own_is_kept() -> None:
    engine = create_engine(URL, poolclass=NullPool)  # the leader lock's engine
    try:
        assert isinstance(engine.sync_engine.pool, NullPool)
    finally:
        await engine.dispose()


async def test_sqlite_keeps_every_connection_of_a_burst_open(tmp_path: Path) -> None:
    """50 residents at once: overflow connections were opened and closed again each burst
    (a thread and three PRAGMAs each); the pool now keeps all it opened."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.sqlite3'}")
    try:
        pool = engine.sync_engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == SQLITE_POOL_SIZE == 50
        assert pool._max_overflow == SQLITE_MAX_OVERFLOW == 0
        opened: list[int] = []
        event.listen(engine.sync_engine, "connect", lambda *_: opened.append(1))
        both = asyncio.Barrier(SQLITE_POOL_SIZE)

        async def read() -> None:
            async with engine.connect() as connection:
                await both.wait()  # all connections checked out at once
                await connection.execute(text("SELECT 1"))

        for _ in range(2):
            await asyncio.gather(*(read() for _ in range(SQLITE_POOL_SIZE)))
        assert len(opened) == SQLITE_POOL_SIZE  # the second burst opened none
        assert pool.checkedin() == SQLITE_POOL_SIZE
    finally:
        await engine.dispose()
