"""Start light: building and starting the bot imports no chart, spreadsheet, document or
geodata library (they weigh ~90 MiB and are imported where a file or map is first made), and
a restart over an up-to-date schema does not import Alembic either."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.storage import migrate
from bot.storage.db import create_engine

HEAVY = ("matplotlib", "numpy", "pyproj", "shapely", "openpyxl", "docx", "icalendar", "PIL")
# Lighter, but not needed to answer a first update either: imported where first used.
LAZY = ("rapidfuzz", "phonenumbers", "email_validator")

# Runs in a fresh interpreter: migrate a new database (as the first start does), then start
# the application as bot/runner.py does (post_init included), over the offline Bot API.
START = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path

    from bot.app import build_application, make_services, prepare_schema
    from bot.config import Settings
    from bot.offline.fake_api import FakeBotAPI
    from bot.offline.simulator import running
    from bot.storage.db import create_engine, create_session_maker

    async def main(folder: Path) -> None:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{folder / 'start.sqlite3'}",
            admin_telegram_ids=[1],
        )
        await prepare_schema(settings)
        loaded_by_migration = sorted(sys.modules)
        engine = create_engine(settings.database_url)
        app = build_application(
            settings, make_services(settings, create_session_maker(engine)), request=FakeBotAPI()
        )
        async with running(app):
            pass
        await engine.dispose()
        print(json.dumps({"modules": sorted(sys.modules), "migration": loaded_by_migration}))

    asyncio.run(main(Path(sys.argv[1])))
    """
)


def started_modules(folder: Path) -> tuple[set[str], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", START, str(folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {m.split(".")[0] for m in result["modules"]}, {
        m.split(".")[0] for m in result["migration"]
    }


def test_starting_the_bot_imports_no_heavy_library(tmp_path: Path) -> None:
    modules, _ = started_modules(tmp_path)
    assert "bot" in modules and "telegram" in modules  # the probe saw a started bot
    assert sorted(set(HEAVY) & modules) == []
    assert sorted(set(LAZY) & modules) == []


def test_a_restart_over_a_current_schema_leaves_alembic_unimported(tmp_path: Path) -> None:
    _, first = started_modules(tmp_path)
    assert "alembic" in first  # a new database is migrated by Alembic
    _, again = started_modules(tmp_path)
    assert "alembic" not in again


def test_the_migration_files_heads_are_alembics() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert migrate.file_heads() == set(script.get_heads())


async def test_is_current_only_at_the_head(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'current.sqlite3'}")
    try:
        assert not await migrate.is_current(engine)  # no version table yet
        await migrate.upgrade(engine, "0010")
        assert not await migrate.is_current(engine)
        await migrate.upgrade(engine)
        assert await migrate.is_current(engine)
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '0009'"))
        assert not await migrate.is_current(engine)
    finally:
        await engine.dispose()
