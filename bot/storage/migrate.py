"""Run Alembic migrations from code (the bot upgrades its schema at start)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:  # Alembic (~10 MiB, 0.1 s) is imported only when there is work for it
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# pg_advisory_xact_lock key: instances starting together migrate one after the other
MIGRATION_LOCK_KEY = 0x62657A6D69677261  # "bezmigra"


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the schema over the given engine's connection."""
    if revision == "head" and await is_current(engine):
        return  # the usual start: nothing to do, and Alembic stays unimported

    def _upgrade(connection: object) -> None:
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await _serialize(connection)
        await connection.run_sync(_upgrade)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    def _downgrade(connection: object) -> None:
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await _serialize(connection)
        await connection.run_sync(_downgrade)


async def _serialize(connection: AsyncConnection) -> None:
    """On PostgreSQL, hold a transaction-scoped advisory lock for the whole migration (one
    transaction there), so a second instance waits and then finds the schema up to date."""
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
        )


async def is_current(engine: AsyncEngine) -> bool:
    """Whether the database stands at the one head of the migration files. Read without
    Alembic: the files' `revision`/`down_revision` are parsed, and anything unusual (no
    version table, several heads, a file not parsed) answers False, so Alembic decides."""
    heads = file_heads()
    if heads is None or len(heads) != 1:
        return False
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).all()
    except SQLAlchemyError:
        return False  # a new database: no version table yet
    return {row[0] for row in rows} == heads


def file_heads() -> set[str] | None:
    """The revisions no migration file builds on, or None when a file cannot be read plainly."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        values: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                try:
                    values[target.id] = ast.literal_eval(value)
                except ValueError:
                    return None
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(str(each) for each in down)
        elif down is not None:
            return None
    return revisions - parents
