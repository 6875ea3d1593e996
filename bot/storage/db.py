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
from bot.storage.one_hop import busy_loop, one_hop, urgent

SessionMaker = async_sessionmaker[AsyncSession]


# PostgreSQL: connections kept open per process. With SQLAlchemy's 5, a burst of updates opened
# and closed overflow connections all the time (up to 144 new ones in a 33 s webhook load
# test, each a server process and a few round trips); two instances with 20 + 10 stay well
# under the server's 100 connections.
POSTGRES_POOL_SIZE, POSTGRES_MAX_OVERFLOW = 20, 10
# SQLite: connections per process (each a thread; readers do not block each other in WAL
# mode). With SQLAlchemy's 5 + 10, 50 residents at once waited up to 0.3 s for a connection.
# With 20 + 30 each burst opened 30 connections (a thread and three PRAGMAs each) and closed
# them again: bench load0 "/neu" p50 246 ms, CPU 1.44 ms per update. A pool of 50 that keeps
# what it opened: "/neu" 59 ms, 1.19 ms. Connections open only when needed (idle memory
# stays as it was); a 51st concurrent session waits for one.
SQLITE_POOL_SIZE, SQLITE_MAX_OVERFLOW = 50, 0
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
    same statement and given back at its commit or rollback (else when the connection
    returns to the pool), in FIFO order.
    Other processes on the same file still meet SQLite's own lock.
    While others wait for it, the holder's statements and commit do not yield to the event
    loop (`one_hop.urgent`): under load each turn of the loop ran every other update's ready
    work, and the writers queued here waited for those turns (50 residents at once: the
    write lock held 3-120 ms per Send, 20-130 ms per ledger or persistence batch; now 1-2 ms
    and under 1 ms). Without waiters it yields as before, and the background writers
    (ledger, conversation states) batch the updates that finish meanwhile.
    """

    def __init__(self) -> None:
        self._locks: dict[asyncio.AbstractEventLoop, _Turn] = {}

    def _lock(self) -> _Turn:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            self._locks = {k: v for k, v in self._locks.items() if not k.is_closed()}
            lock = self._locks[loop] = _Turn()
        return lock

    def before_execute(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get(_HOLDS) is not None or not in_greenlet():
            return  # holds it already, or synchronous use (no event loop to wait in)
        if not statement.lstrip().upper().startswith(_WRITES):
            return
        lock = self._lock()
        await_only(_acquire(lock))
        info = conn.info
        info[_HOLDS] = lock
        # while others wait, its statements wait in place; its commit gives the lock back
        urgent(conn.connection.dbapi_connection, _Holder(lock, info))

    @staticmethod
    def release(dbapi_connection: Any, record: Any, *_args: Any) -> None:
        if record is not None and _HOLDS in record.info:
            urgent(dbapi_connection, None)
            _give_back(record.info)


class _Turn(asyncio.Lock):
    """The write lock of one event loop, and how many writers wait for it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = 0


class _Holder:
    """A connection's hold of the write lock, for `one_hop.urgent`."""

    def __init__(self, lock: _Turn, info: dict[Any, Any]) -> None:
        self._lock, self._info = lock, info

    def contended(self) -> bool:
        """Others wait for the lock, or so much work is ready that a turn of the loop is long
        (seen from its ready queue, where CPython's loop has one; else only the waiters)."""
        return self._lock.waiting > 0 or busy_loop()

    def release(self) -> None:
        _give_back(self._info)


def _give_back(info: dict[Any, Any]) -> None:
    lock = info.pop(_HOLDS, None)
    if lock is not None and lock.locked():
        lock.release()


async def _acquire(lock: _Turn) -> None:
    lock.waiting += 1
    try:
        async with asyncio.timeout(WRITE_LOCK_TIMEOUT):
            await lock.acquire()
    finally:
        lock.waiting -= 1


def create_engine(url: str, *, write_queue: bool = True, **kwargs: Any) -> AsyncEngine:
    """Create the engine; SQLite gets WAL, foreign keys, a busy timeout on every connection and
    (unless `write_queue` is False) one writer at a time in this process (`_WriteQueue`)."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        # The pool rolls every returned connection back, even right after a commit: one
        # more trip to the connection's thread per transaction. `_reset` skips it when
        # SQLite has no transaction open (pysqlite opens one only for a write).
        kwargs.setdefault("pool_reset_on_return", None)
        if ":memory:" not in url and "poolclass" not in kwargs:
            kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
            kwargs.setdefault("max_overflow", SQLITE_MAX_OVERFLOW)
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
        one_hop(dbapi_connection)  # a statement in one trip to aiosqlite's thread

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
