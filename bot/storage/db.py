"""Engine and unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util.concurrency import await_only, in_greenlet

from bot.storage import postgresql

SessionMaker = async_sessionmaker[AsyncSession]


# PostgreSQL: connections kept open per process. With SQLAlchemy's 5, a burst of updates opened
# and closed overflow connections all the time (up to 144 new ones in a 33 s webhook load
# test, each a server process and a few round trips); two instances with 20 + 10 stay well
# under the server's 100 connections.
POSTGRES_POOL_SIZE, POSTGRES_MAX_OVERFLOW = 20, 10
WRITE_LOCK_TIMEOUT = 30.0  # as SQLite's busy timeout: then the write fails instead of waiting
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_HOLDS = "bezirksbot_write_lock"  # key in a connection's info: the lock it holds


class _WriteQueue:
    """One writer at a time in this process, queued in asyncio instead of SQLite's busy handler.

    SQLite lets one connection write at a time. Another connection's INSERT waits in SQLite's
    busy handler, which sleeps 1, 2, 5 … 100 ms between tries, so under load writers wait for
    each other's sleeps rather than their work (webhook load test, SQLite: p99 1.0 s and at
    worst 5.7 s without this queue, 0.37 s and 0.48 s with it).
    pysqlite begins the transaction at the first INSERT/UPDATE/DELETE, so SQLite's write lock
    is held from that statement to the end of the transaction; this lock is taken before the
    same statement and given back when the connection returns to the pool, in FIFO order.
    Other processes on the same file still meet SQLite's own lock.
    """

    def __init__(self) -> None:
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            self._locks = {k: v for k, v in self._locks.items() if not k.is_closed()}
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def before_execute(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get(_HOLDS) is not None or not in_greenlet():
            return  # holds it already, or synchronous use (no event loop to wait in)
        if not statement.lstrip().upper().startswith(_WRITES):
            return
        lock = self._lock()
        await_only(_acquire(lock))
        conn.info[_HOLDS] = lock

    @staticmethod
    def release(dbapi_connection: Any, record: Any, *_args: Any) -> None:
        lock = record.info.pop(_HOLDS, None) if record is not None else None
        if lock is not None and lock.locked():
            lock.release()


async def _acquire(lock: asyncio.Lock) -> None:
    async with asyncio.timeout(WRITE_LOCK_TIMEOUT):
        await lock.acquire()


def create_engine(url: str, *, write_queue: bool = True, **kwargs: Any) -> AsyncEngine:
    """Create the engine; SQLite gets WAL, foreign keys, a busy timeout on every connection and
    (unless `write_queue` is False) one writer at a time in this process (`_WriteQueue`)."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        # The pool rolls every returned connection back, even right after a commit: one
        # more trip to the connection's thread per transaction. `_reset` skips it when
        # SQLite has no transaction open (pysqlite opens one only for a write).
        kwargs.setdefault("pool_reset_on_return", None)
    elif url.startswith("postgresql"):
        postgresql.declare_model_options()
        if "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
            kwargs.setdefault("max_overflow", POSTGRES_MAX_OVERFLOW)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name != "sqlite":
        return engine
    if kwargs.get("pool_reset_on_return", "rollback") is None:
        event.listen(engine.sync_engine.pool, "reset", _reset)
    if write_queue:
        queue = _WriteQueue()
        event.listen(engine.sync_engine, "before_cursor_execute", queue.before_execute)
        # back in the pool: committed or rolled back (or the connection is gone)
        event.listen(engine.sync_engine.pool, "checkin", queue.release)
        event.listen(engine.sync_engine.pool, "invalidate", queue.release)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if ":memory:" not in url:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def _reset(dbapi_connection: Any, _record: Any, state: Any) -> None:
    """Roll back a returned connection that still has a transaction open (an error path)."""
    if not state.asyncio_safe:
        return  # garbage collection outside the event loop: the pool closes it instead
    adapted = getattr(dbapi_connection, "_connection", None)  # aiosqlite's Connection
    if adapted is None or getattr(adapted, "in_transaction", True):
        dbapi_connection.rollback()


def create_session_maker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def session_scope(maker: SessionMaker) -> AsyncIterator[AsyncSession]:
    """One short transaction: commit on success, roll back on error."""
    async with maker() as session, session.begin():
        yield session
