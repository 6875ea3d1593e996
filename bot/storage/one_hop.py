"""aiosqlite statements in one trip to the connection's thread instead of four.

aiosqlite runs every call on a connection in that connection's own thread, and SQLAlchemy's
adapter makes four such calls per statement: open a cursor, execute, fetch the rows, close.
Each trip hands the GIL to the thread and back and wakes the event loop through its
self-pipe (~60 µs of CPU), and while a writer waits for its trip other updates run, so the
write lock is held for four turns of the loop per statement instead of one. Here the cursor
does all four in one trip; `commit` and `rollback` stay one trip each.

It relies on aiosqlite's `_execute` and `_conn`, as SQLAlchemy's own adapter does (for the
isolation level).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

Rows = list[Any]


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
        result = await self._connection._execute(_run, raw, sql, parameters)
        self.description, self._rows, self.lastrowid, self.rowcount = result
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneHopCursor:
        raw: sqlite3.Connection = self._connection._conn
        result = await self._connection._execute(_run_many, raw, sql, parameters)
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
    if connection is None or not hasattr(connection, "_execute"):
        return

    async def cursor() -> OneHopCursor:
        return OneHopCursor(connection)

    connection.cursor = cursor
