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
from sqlalchemy.schema import CreateIndex

from bot.app import build_application, make_services, open_storage
from bot.i18n import load_catalogue
from bot.offline.fake_api import FakeBotAPI
from bot.offline.simulator import running
from bot.services.basics.languages import available_languages
from bot.storage import migrate
from bot.storage.db import create_engine
from bot.storage.models import Reminder
from tests.conftest import make_settings

HEAVY = ("matplotlib", "numpy", "pyproj", "shapely", "openpyxl", "docx", "icalendar", "PIL")
# Lighter, but not needed to answer a first update either: imported where first used.
LAZY = ("rapidfuzz", "phonenumbers", "email_validator")
# httpx's command-line client, which it imports when they are installed (bot/__init__.py);
# Alembic's templates import pygments too, so only a restart is free of them.
UNUSED = ("click", "pygments")
# Modules of packages the bot does use at start: SQLAlchemy's PostgreSQL dialect on SQLite
# (bot/storage/postgresql.py) and Babel's .po parser once the catalogues are compiled.
LAZY_MODULES = ("sqlalchemy.dialects.postgresql", "babel.messages")

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
    """The top-level packages imported by a started bot, and by the migration before it."""
    modules, migration = started_module_names(folder)
    return {m.split(".")[0] for m in modules}, {m.split(".")[0] for m in migration}


def started_module_names(folder: Path) -> tuple[set[str], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", START, str(folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return set(result["modules"]), set(result["migration"])


def test_starting_the_bot_imports_no_heavy_library(tmp_path: Path) -> None:
    modules, _ = started_modules(tmp_path)
    assert "bot" in modules and "telegram" in modules  # the probe saw a started bot
    assert sorted(set(HEAVY) & modules) == []
    assert sorted(set(LAZY) & modules) == []


def test_a_restart_on_sqlite_imports_no_dialect_parser_or_cli_it_does_not_use(
    tmp_path: Path,
) -> None:
    for language in available_languages():
        load_catalogue(language)  # compiled, as after any earlier start
    started_module_names(tmp_path)  # the first start migrates (Alembic loads the dialect)
    modules, _ = started_module_names(tmp_path)
    assert "bot.app" in modules
    assert sorted(m for m in modules if m.startswith(LAZY_MODULES)) == []
    assert sorted({m.split(".")[0] for m in modules} & set(UNUSED)) == []


def test_a_postgresql_engine_declares_the_postgresql_index_options() -> None:
    """The partial index's WHERE, kept out of the model's options (bot/storage/postgresql.py),
    is there once a PostgreSQL engine is made: Alembic and DDL see the same index as before."""
    engine = create_engine("postgresql+asyncpg://bot@localhost/never-connected")
    index = next(i for i in Reminder.__table__.indexes if i.name == "ix_reminders_pending_due")
    ddl = str(CreateIndex(index).compile(dialect=engine.dialect))
    assert ddl.endswith("WHERE sent_at IS NULL AND cancelled_at IS NULL"), ddl


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


async def test_the_command_menus_are_set_in_one_round_trip_before_polling(tmp_path: Path) -> None:
    """Every language's menu and the default one are sent together: at 50 ms per Bot API
    call the eight calls overlap instead of holding polling back for 0.4 s."""
    settings = make_settings(tmp_path)
    engine, maker = await open_storage(settings)
    api = FakeBotAPI(delay=0.05)
    app = build_application(settings, make_services(settings, maker), request=api)
    try:
        async with running(app):
            calls = [call for call in api.calls if call.method == "setMyCommands"]
    finally:
        await engine.dispose()
    languages = [call.params.get("language_code") for call in calls]
    assert sorted(languages, key=str) == sorted([*available_languages(), None], key=str)
    assert max(c.time for c in calls) - min(c.time for c in calls) < 0.15  # in a row: 0.35 s
