"""aiosqlite statements in one trip to the connection's thread instead of four.

aiosqlite runs every call on a connection in that connection's own thread, and SQLAlchemy's
adapter makes four such calls per statement: open a cursor, execute, fetch the rows, close.
Each trip hands the GIL to the thread and back and wakes the event loop through its
self-pipe (~60 µs of CPU), and while a writer waits for its trip other updates run, so the
write lock is held for four turns of the loop per statement instead of one. Here the cursor
does all four in one trip; `commit` and `rollback` stay one trip each.

A connection that holds the write lock while other writers wait for it (`urgent`) does not
even give the event loop a turn per statement: it waits for the thread's answer (at most
`URGENT_WAIT`, then as any other). Under load every turn of the loop runs all the other
updates' ready work first (50 residents at once: 10-100 ms), and the writers behind the lock
waited for those turns, not for SQLite.

It relies on aiosqlite's `_execute`, `_tx`, `_conn` and `_running`, as SQLAlchemy's own
adapter does (for the isolation level).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

Rows = list[Any]
URGENT_WAIT = 0.02  # seconds a lock holder waits without yielding (SQLite's own lock: longer)
BUSY_LOOP = 4  # ready callbacks of the event loop from which a turn of it counts as long
_URGENT = "_bezirksbot_urgent"


class Holder(Protocol):
    """A connection's hold of the write lock."""

    def contended(self) -> bool: ...  # other writers wait for it

    def release(self) -> None: ...  # give it back (the transaction is over)


def urgent(dbapi_connection: Any, holder: Holder | None) -> None:
    """Mark SQLAlchemy's adapted aiosqlite connection as holding the write lock, or not."""
    connection = getattr(dbapi_connection, "_connection", None)
    if connection is not None and hasattr(connection, "_tx"):  # aiosqlite's
        setattr(connection, _URGENT, holder)


def _ended(connection: Any) -> None:
    """The transaction is over: the write lock goes at once, not when the session closes
    (SQLAlchemy closes it in a task of its own, a turn of the loop later)."""
    holder: Holder | None = getattr(connection, _URGENT, None)
    if holder is not None:
        setattr(connection, _URGENT, None)
        holder.release()


def busy_loop() -> bool:
    """So much work is ready that a turn of the event loop is long (seen from its ready
    queue, where CPython's loop has one)."""
    ready = getattr(asyncio.get_running_loop(), "_ready", None)
    return ready is not None and len(ready) >= BUSY_LOOP


async def _call(connection: Any, fn: Any, *args: Any) -> Any:
    """Run `fn(*args)` on the connection's thread; a lock holder others wait for, and any
    statement while the loop is busy, waits for it in place."""
    holder: Holder | None = getattr(connection, _URGENT, None)
    if not (holder.contended() if holder is not None else busy_loop()):
        return await connection._execute(fn, *args)
    if not connection._running or not connection._connection:
        raise ValueError("Connection closed")
    answered = threading.Event()
    box: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            box.append((True, fn(*args)))
        except BaseException as error:  # handed to the caller below
            box.append((False, error))
        answered.set()

    future = asyncio.get_running_loop().create_future()  # set (to None) by aiosqlite's thread
    connection._tx.put_nowait((future, run))
    if not answered.wait(URGENT_WAIT):
        await future  # slow (e.g. another process holds SQLite's lock): wait as usual
    ok, value = box[0]
    if not ok:
        raise value
    return value


class OneHopCursor:
    """What SQLAlchemy's aiosqlite adapter uses of an aiosqlite cursor, each statement run to
    its end (rows fetched, cursor closed) in one call on the connection's thread."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection  # aiosqlite.Connection
        self.description: Any = None
        self.lastrowid: int | None = None
        self.rowcount = -1
        self._rows: Rows = []

    async def execute(self, sql: str, parameters: Any = None) -> OneHopCursor:
        raw: sqlite3.Connection = self._connection._conn
        result = await _call(self._connection, _run, raw, sql, parameters)
        self.description, self._rows, self.lastrowid, self.rowcount = result
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneHopCursor:
        raw: sqlite3.Connection = self._connection._conn
        result = await _call(self._connection, _run_many, raw, sql, parameters)
        self.description, self._rows, self.lastrowid, self.rowcount = result
        return self

    async def fetchall(self) -> Rows:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int = 1) -> Rows:
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def close(self) -> None:
        self._rows = []


def _run(raw: sqlite3.Connection, sql: str, parameters: Any) -> tuple[Any, Rows, Any, int]:
    cursor = raw.cursor()
    try:
        cursor.execute(sql) if parameters is None else cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


def _run_many(
    raw: sqlite3.Connection, sql: str, parameters: Iterable[Sequence[Any]]
) -> tuple[Any, Rows, Any, int]:
    cursor = raw.cursor()
    try:
        cursor.executemany(sql, parameters)
        return cursor.description, [], cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


def one_hop(dbapi_connection: Any) -> None:
    """Give an aiosqlite connection (SQLAlchemy's adapted one, at its "connect" event)
    one-trip cursors; other connections are left alone."""
    connection = getattr(dbapi_connection, "_connection", None)
    if connection is None or not hasattr(connection, "_tx"):  # not aiosqlite's
        return

    async def cursor() -> OneHopCursor:
        return OneHopCursor(connection)

    async def commit() -> None:
        await _call(connection, _commit, connection._conn)
        _ended(connection)

    async def rollback() -> None:
        await _call(connection, _rollback, connection._conn)
        _ended(connection)

    connection.cursor = cursor
    connection.commit = commit
    connection.rollback = rollback


def _commit(raw: sqlite3.Connection) -> None:
    raw.commit()


def _rollback(raw: sqlite3.Connection) -> None:
    raw.rollback()
