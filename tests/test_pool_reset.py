"""SQLite connections go back to the pool without a rollback after a commit (one trip to the
connection's thread less per transaction), yet one returned in the middle of a write is still
rolled back: its rows vanish and the write lock is free for the next writer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage import one_hop
from bot.storage.db import create_engine, create_session_maker, session_scope
from tests import pg

pytestmark = pytest.mark.skipif(pg.enabled(), reason="the SQLite pool's reset")


async def test_no_rollback_after_a_commit_but_after_an_unfinished_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'reset.sqlite3'}")
    maker = create_session_maker(engine)
    rollbacks: list[int] = []
    original = one_hop._rollback  # what a rollback runs on the connection's thread

    def counted(raw: sqlite3.Connection) -> None:
        rollbacks.append(1)
        original(raw)

    try:
        async with engine.begin() as connection:  # (connecting the first time rolls back)
            await connection.execute(text("CREATE TABLE t (n INTEGER)"))
        monkeypatch.setattr(one_hop, "_rollback", counted)
        async with session_scope(maker) as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
        assert rollbacks == []  # committed: nothing to roll back on the way to the pool

        async with engine.connect() as connection:  # returned with its write still open
            await connection.execute(text("INSERT INTO t VALUES (2)"))
        assert rollbacks == [1]

        async with session_scope(maker) as session:  # the write lock is free again
            await session.execute(text("INSERT INTO t VALUES (3)"))
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT n FROM t ORDER BY n"))).scalars()
            assert list(rows) == [1, 3]
    finally:
        await engine.dispose()
