"""`bezirksbot directory import|export`: every row checked first, each bad row named by its
line and reason, nothing imported on error unless --skip-bad; CSV and XLSX; the shipped
referral data is the first import of a fresh database; an export loads again unchanged."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.app import open_storage
from bot.cli import main
from bot.services.network.files import COLUMNS
from bot.storage.db import session_scope
from bot.storage.models import NetworkEntry
from tests.conftest import make_settings

HEADER = "key,name,kind,role,quarters,topics,phone,email,web,office_hours,resident_channels\n"
GOOD = (
    "qm_linden,Quartiersmanagement Linden-Süd,organisation,Quartiersmanagerin,Linden-Süd,"
    "public_space;civic_engagement,0511 1234567,qm@example.org,www.example.org/qm,"
    "Di 10-12 Uhr,phone;email;web;office_hours\n"
)
BAD_PHONE = "spielhaus,Spielhaus Limmer,organisation,,Limmer,family,12345,,,,phone\n"
BAD_QUARTER = "treff,Treff Atlantis,organisation,,Atlantis,family,,,,,\n"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "directory.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    return path


def _names(path: Path) -> list[str]:
    async def read() -> list[str]:
        settings = make_settings(path.parent, database_url=f"sqlite+aiosqlite:///{path}")
        engine, maker = await open_storage(settings)
        async with session_scope(maker) as session:
            found = list(
                await session.scalars(select(NetworkEntry.name).order_by(NetworkEntry.id))
            )
        await engine.dispose()
        return found

    return asyncio.run(read())


def test_a_bad_row_is_named_by_line_and_nothing_is_imported(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "liste.csv"
    source.write_text(HEADER + GOOD + BAD_PHONE + BAD_QUARTER, encoding="utf-8")
    assert main(["directory", "import", str(source)]) == 1
    out = capsys.readouterr().out
    assert "line 3: not a valid phone number: '12345'" in out
    assert "line 4: unknown quarter: 'Atlantis'" in out
    assert "Nothing imported: 2 bad row(s)" in out
    names = _names(database)
    assert len(names) == 16 and "Quartiersmanagement Linden-Süd" not in names  # shipped only

    assert main(["directory", "import", str(source), "--skip-bad"]) == 0
    assert "Imported: 1 new, 0 updated, 2 skipped." in capsys.readouterr().out
    assert _names(database)[-1] == "Quartiersmanagement Linden-Süd"


def test_xlsx_import_and_an_export_that_loads_again(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append(GOOD.strip().split(","))
    sheet.append(["", "Büro ohne Schlüssel", "office", "", "", "other", "", "not-an-email"])
    book.save(tmp_path / "liste.xlsx")
    assert main(["directory", "import", str(tmp_path / "liste.xlsx")]) == 1
    assert "line 3: not a valid e-mail address: 'not-an-email'" in capsys.readouterr().out

    exported = tmp_path / "export.csv"
    assert main(["directory", "export", str(exported)]) == 0
    text = exported.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert "easter_fire,Osterfeuer und andere Brauchtumsfeuer,office" in text
    assert main(["directory", "import", str(exported)]) == 0
    assert "Imported: 0 new, 16 updated, 0 skipped." in capsys.readouterr().out
    assert main(["directory", "export", str(tmp_path / "export.xlsx")]) == 0


def test_the_shipped_referrals_are_the_first_import_once(database: Path) -> None:
    async def count() -> int:
        settings = make_settings(database.parent, database_url=f"sqlite+aiosqlite:///{database}")
        engine, maker = await open_storage(settings)  # migrates and seeds an empty directory
        async with session_scope(maker) as session:
            found = int(await session.scalar(select(func.count()).select_from(NetworkEntry)) or 0)
            keys = set(await session.scalars(select(NetworkEntry.key)))
        await engine.dispose()
        assert {"easter_fire", "district_management", "public_order_service"} <= keys
        return found

    assert asyncio.run(count()) == 16
    assert asyncio.run(count()) == 16  # a second start adds nothing
