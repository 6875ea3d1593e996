"""The engine's connection pool keeps enough connections open for a burst of updates (no
connection is opened here: engines connect lazily)."""

from __future__ import annotations

from pathlib import Path

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


async def test_sqlite_keeps_twenty_connections_open(tmp_path: Path) -> None:
    """50 residents at once waited for one of SQLAlchemy's 5 + 10 SQLite connections."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.sqlite3'}")
    try:
        pool = engine.sync_engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == SQLITE_POOL_SIZE == 20
        assert pool._max_overflow == SQLITE_MAX_OVERFLOW
    finally:
        await engine.dispose()
