"""SQLite writers of one process queue in asyncio, not in SQLite's busy handler."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bot.storage.db import create_engine, create_session_maker, session_scope
from bot.storage.one_hop import BUSY_LOOP
from tests import pg

pytestmark = pytest.mark.skipif(pg.enabled(), reason="SQLite's own write lock")

WRITERS = 12
HOLD = 0.03  # each transaction keeps the write lock this long, across an await


class Turns:
    """Other work beside the database: counts the turns of the event loop it gets."""

    def __init__(self) -> None:
        self.count = 0

    async def run(self) -> None:
        while True:
            self.count += 1
            await asyncio.sleep(0)


async def _write_together(path: Path, *, write_queue: bool) -> tuple[list[object], int]:
    """WRITERS transactions at once, each holding the write lock across an await (as a
    transaction that waits for something else does); returns their outcomes and the rows."""
    # A busy timeout far below what the writers need together: waiting in SQLite fails.
    engine = create_engine(
        f"sqlite+aiosqlite:///{path}",
        write_queue=write_queue,
        connect_args={"timeout": 0.05},
        pool_size=WRITERS,
        max_overflow=0,
    )
    maker = create_session_maker(engine)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))

    async def write(n: int) -> None:
        async with session_scope(maker) as session:
            await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            await asyncio.sleep(HOLD)
            await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": -n})

    try:
        outcomes = await asyncio.gather(
            *(write(n) for n in range(1, WRITERS + 1)), return_exceptions=True
        )
        async with engine.connect() as conn:
            rows = int((await conn.execute(text("SELECT count(*) FROM t"))).scalar_one())
        return list(outcomes), rows
    finally:
        await engine.dispose()


async def test_writers_wait_their_turn_instead_of_failing(tmp_path: Path) -> None:
    outcomes, rows = await _write_together(tmp_path / "queued.sqlite3", write_queue=True)
    assert outcomes == [None] * WRITERS
    assert rows == 2 * WRITERS


async def test_without_the_queue_the_same_writers_fail_in_sqlite(tmp_path: Path) -> None:
    """The comparison that shows what the queue is for (and that the test above can fail)."""
    outcomes, rows = await _write_together(tmp_path / "plain.sqlite3", write_queue=False)
    failed = [o for o in outcomes if isinstance(o, OperationalError)]
    assert failed and "locked" in str(failed[0])
    assert rows == 2 * (WRITERS - len(failed))


async def test_a_rolled_back_writer_gives_the_lock_back(tmp_path: Path) -> None:
    engine = create_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}", connect_args={"timeout": 0.05}
    )
    maker = create_session_maker(engine)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (n INTEGER)"))
        with pytest.raises(RuntimeError):
            async with session_scope(maker) as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))
                raise RuntimeError("handler failed")
        async with asyncio.timeout(5):  # would wait WRITE_LOCK_TIMEOUT if the lock were kept
            async with session_scope(maker) as session:
                await session.execute(text("INSERT INTO t VALUES (2)"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT n FROM t"))).scalars().all() == [2]
    finally:
        await engine.dispose()


async def test_the_writer_holding_the_lock_gives_other_work_no_turn(tmp_path: Path) -> None:
    """While another writer waits, the holder's statements and commit do not wait for a turn
    of the event loop (under load one turn ran every other update's work first); without
    one it gives the loop turns (background writers batch what finishes meanwhile), as a
    reader does; the commit gives the lock back at once."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'urgent.sqlite3'}")
    maker = create_session_maker(engine)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
    other = Turns()

    async def other_writer() -> None:
        async with session_scope(maker) as session:
            await session.execute(text("INSERT INTO t VALUES (100)"))

    task = asyncio.create_task(other.run())
    try:
        async with session_scope(maker) as session:
            await session.execute(text("SELECT count(*) FROM t"))
            before = other.count
            await session.execute(text("SELECT count(*) FROM t"))
            assert other.count > before  # a reader's statement gives the loop a turn
            await session.execute(text("INSERT INTO t VALUES (0)"))  # takes the lock
            before = other.count
            await session.execute(text("INSERT INTO t VALUES (1)"))
            assert other.count > before  # nobody waits for the lock
            waiting = asyncio.create_task(other_writer())
            await asyncio.sleep(0.2)  # it queues for the lock
            holding = other.count
            for n in range(2, 20):
                await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            assert (await session.scalar(text("SELECT count(*) FROM t"))) == 20
            await session.commit()
            assert other.count == holding
            await asyncio.wait_for(waiting, 5)  # the lock was free at the commit
    finally:
        task.cancel()
        await engine.dispose()


async def test_a_reader_waits_in_place_while_the_loop_is_busy(tmp_path: Path) -> None:
    """50 residents at once: each statement's trip to the connection's thread cost a turn of
    the loop, which ran all the other updates' ready work first (a Send's two reads took
    30-70 ms each). With that much work ready, a statement waits for its answer in place;
    with little, it gives the loop a turn as before."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'busy.sqlite3'}")
    other = Turns()

    async def reads() -> int:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))  # connected
            before = other.count
            for _ in range(10):
                await conn.execute(text("SELECT 1"))
            return other.count - before

    quiet = [asyncio.create_task(other.run())]
    try:
        assert await reads() >= 10  # one other task ready: a turn per statement
        quiet += [asyncio.create_task(Turns().run()) for _ in range(BUSY_LOOP)]
        await asyncio.sleep(0)
        # each of the 11 awaited statements would give every other task a turn
        assert await reads() < BUSY_LOOP + 1
    finally:
        for task in quiet:
            task.cancel()
        await engine.dispose()
