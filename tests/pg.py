"""PostgreSQL for the test suite: a fresh database per test when TEST_DATABASE_URL is set.

`scripts/with-postgres` (called by `scripts/test`) starts a scratch server and sets
`TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:<port>/postgres`. Then
`make_settings(tmp_path)` asks `database_url(tmp_path)` for the test's database instead of the
SQLite file beside it: `CREATE DATABASE test_<uuid>` over an admin connection, copied from a
template that was migrated to head once per run (a copy is much cheaper than migrating each
time; the migrations themselves are exercised step by step in `tests/test_migrations.py`).

The same test (and path) always gets the same database, as it would get the same SQLite file.
Databases are dropped when the next test asks for one (every fixture of the previous test has
been torn down by then) and at the end of the run.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import make_url

T = TypeVar("T")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
PREFIX = "test_"


def enabled() -> bool:
    """Whether the suite runs against PostgreSQL."""
    return TEST_DATABASE_URL.startswith("postgresql")


def url_for(database: str) -> str:
    """The SQLAlchemy URL (asyncpg) of a database on the test server."""
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+asyncpg", database=database)
    return url.render_as_string(hide_password=False)


def _admin_dsn() -> str:
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _quote(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"unexpected database name {name!r}")
    return f'"{name}"'


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a private loop, also from inside a running loop."""

    async def main() -> T:
        return await factory()

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop in this thread (a sync test, or the end of the run)
        return asyncio.run(main())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


async def _admin(*statements: str) -> None:
    connection = await asyncpg.connect(_admin_dsn())
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def create_database(*, template: str | None = None) -> str:
    """CREATE DATABASE test_<uuid> (empty, or a copy of `template`); returns its name."""
    name = f"{PREFIX}{uuid.uuid4().hex[:16]}"
    source = _quote(template) if template else "template0"
    await _admin(f"CREATE DATABASE {_quote(name)} TEMPLATE {source}")
    return name


async def drop_database(name: str) -> None:
    await _admin(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """An empty database for the duration of the block; yields its SQLAlchemy URL."""
    name = await create_database()
    try:
        yield url_for(name)
    finally:
        await drop_database(name)


# --- one database per test -----------------------------------------------------------------
_lock = threading.Lock()
_template: str | None = None
_databases: dict[tuple[str, str], str] = {}  # (test id, path) -> database name


def _current_test() -> str:
    # "tests/test_x.py::test_y (setup)" while pytest runs a test; the phase is cut off
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]


async def _make_template() -> str:
    from bot.storage import migrate
    from bot.storage.db import create_engine

    name = await create_database()
    engine = create_engine(url_for(name))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    return name


def database_url(path: Path | str) -> str:
    """The URL of the current test's database for `path` (created on first use)."""
    global _template
    test = _current_test()
    key = (test, str(path))
    with _lock:
        if key in _databases:
            return url_for(_databases[key])
        finished = [k for k in _databases if k[0] != test]
        stale = [_databases.pop(k) for k in finished]
        if _template is None:
            _template = _run(_make_template)
            atexit.register(_drop_all)
        template = _template

        async def prepare() -> str:
            for name in stale:
                await drop_database(name)
            return await create_database(template=template)

        _databases[key] = _run(prepare)
        return url_for(_databases[key])


def _drop_all() -> None:
    names = list(_databases.values()) + ([_template] if _template else [])
    _databases.clear()

    async def drop() -> None:
        for name in names:
            await drop_database(name)

    try:
        _run(drop)
    except (OSError, asyncpg.PostgresError):  # the server may already be gone
        pass
