"""Migrations: every revision goes up, down and up again (a "stairway"), on SQLite and, when
TEST_DATABASE_URL names a server, on PostgreSQL; and the models match the migrations.

The last check is what catches a model changed without a migration: Alembic's autogenerate
comparison between the migrated database and `Base.metadata` must find nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, column, inspect, select
from sqlalchemy import table as table_clause
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import migrate
from bot.storage.db import create_engine
from bot.storage.models import Base
from bot.storage.types import UTCDateTime
from tests import pg

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not pg.enabled(), reason="TEST_DATABASE_URL is not PostgreSQL"),
    ),
]


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine over an empty database of each backend."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'migrations.sqlite3'}")
        try:
            yield engine
        finally:
            await engine.dispose()
        return
    async with pg.fresh_database() as url:
        engine = create_engine(url)
        try:
            yield engine
        finally:
            await engine.dispose()


def revisions() -> list[tuple[str, str]]:
    """(revision, the one before it or "base"), oldest first."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}"
    steps = [(rev.revision, rev.down_revision or "base") for rev in script.walk_revisions()]
    assert all(isinstance(down, str) for _, down in steps), "merge revisions are not expected"
    return list(reversed(steps))  # type: ignore[arg-type]


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda c: inspect(c).get_table_names())
    return set(names) - {"alembic_version"}


async def _current(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda c: MigrationContext.configure(c).get_current_revision()
        )


def _differences(connection: Connection, metadata: MetaData = Base.metadata) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "target_metadata": metadata}
    )
    return list(compare_metadata(context, metadata))


def test_revisions_form_one_line() -> None:
    steps = revisions()
    assert steps[0][1] == "base"
    for (previous, _), (_, down) in pairwise(steps):
        assert down == previous


async def test_stairway_up_down_up(engine: AsyncEngine) -> None:
    """Each revision: upgrade to it, downgrade to the one before, upgrade again."""
    tables_at: dict[str, set[str]] = {"base": set()}
    for revision, down in revisions():
        await migrate.upgrade(engine, revision)
        assert await _current(engine) == revision
        tables_at[revision] = await _tables(engine)
        await migrate.downgrade(engine, down)
        assert await _current(engine) == (None if down == "base" else down)
        assert await _tables(engine) == tables_at[down], f"downgrade of {revision} left tables"
        await migrate.upgrade(engine, revision)
        assert await _tables(engine) == tables_at[revision]
    # and all the way down and up again, as a deployment rollback would
    await migrate.downgrade(engine, "base")
    assert await _tables(engine) == set()
    await migrate.upgrade(engine, "head")
    assert await _tables(engine) == set(Base.metadata.tables)


async def test_models_match_the_migrations(engine: AsyncEngine) -> None:
    """Autogenerate finds nothing to do: no model was changed without a migration."""
    await migrate.upgrade(engine, "head")
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == [], (
        "models and migrations differ; write a migration "
        "(alembic revision --autogenerate) for:\n" + "\n".join(map(repr, differences))
    )


async def test_the_check_sees_a_model_change(engine: AsyncEngine) -> None:
    """The comparison is not vacuous: a column added only in the models is reported."""
    await migrate.upgrade(engine, "head")
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["cases"].append_column(Column("mood", String(16)))
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences, changed)
    added = [d[3].name for d in differences if isinstance(d, tuple) and d[0] == "add_column"]
    assert added == ["mood"], differences


async def test_upgrading_twice_is_harmless(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    await migrate.upgrade(engine)
    assert await _current(engine) == revisions()[-1][0]


async def test_cases_from_before_publication_consent_are_not_published(
    engine: AsyncEngine,
) -> None:
    """0005 adds the consent as NOT NULL false: an existing case never becomes public."""
    await migrate.upgrade(engine, "0004")
    moment = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    old_cases = table_clause(
        "cases",
        column("reference"),
        column("district_number"),
        column("topic"),
        column("language"),
        column("status"),
        column("priority"),
        column("created_at", UTCDateTime()),
        column("updated_at", UTCDateTime()),
    )
    async with engine.begin() as connection:
        await connection.execute(
            old_cases.insert().values(
                reference="10-2026-0001",
                district_number="10",
                topic="other",
                language="de",
                status="new",
                priority=0,
                created_at=moment,
                updated_at=moment,
            )
        )
    await migrate.upgrade(engine, "0005")
    consent = column("publication_consent")
    async with engine.connect() as connection:
        values = list(await connection.scalars(select(consent).select_from(table_clause("cases"))))
        nullable = await connection.run_sync(
            lambda c: {col["name"]: col["nullable"] for col in inspect(c).get_columns("cases")}[
                "publication_consent"
            ]
        )
    assert [bool(value) for value in values] == [False] and values[0] is not None
    assert nullable is False
    await migrate.downgrade(engine, "0004")  # and back: the case is kept, the column goes
    async with engine.connect() as connection:
        names = await connection.run_sync(
            lambda c: [col["name"] for col in inspect(c).get_columns("cases")]
        )
        count = len(
            list(
                await connection.scalars(
                    select(column("reference")).select_from(table_clause("cases"))
                )
            )
        )
    assert "publication_consent" not in names and count == 1
