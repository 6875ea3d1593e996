"""The offline terminal demo, driven by script files: in-process and as `python -m bot demo`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.offline.demo import run_demo
from bot.offline.personas import MANAGER, REP
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
MANAGER_HEADER = f"Sie sind jetzt: {MANAGER.label}"

# Erika in English (the German catalogue may change labels), as in tests/helpers.file_concern
FILE_CONCERN = """\
# comment lines like this one are skipped
:lang en
/start
!I agree
/neu
linden sued
!Yes
!Public space
{text}
!Continue without more photos
!Skip
!No, privately
!Send
:als manager
"""


def reference(number: int) -> str:
    year = datetime.now(ZoneInfo("Europe/Berlin")).year
    return f"10-{year}-{number:04d}"


async def play(tmp_path: Path, name: str, text: str, database: Path) -> None:
    script = tmp_path / name
    script.write_text(FILE_CONCERN.format(text=text), encoding="utf-8")
    code = await run_demo(make_settings(tmp_path), database=str(database), script=str(script))
    assert code == 0


async def test_concern_from_erika_reaches_the_manager(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "demo" / "demo.sqlite3"  # the folder does not exist yet
    await play(tmp_path, "erika.txt", "The square is full of rubbish every weekend.", database)
    out = capsys.readouterr().out

    assert "Tippen Sie /start" in out  # the banner's first step
    assert "Erika (Einwohnerin) › !Send" in out  # script lines are echoed after the prompt
    assert "comment lines" not in out
    before, manager_chat = out.split(MANAGER_HEADER, 1)
    assert f"🔔 Neue Nachricht für {MANAGER.label}" in before
    assert reference(1) in before  # Erika's confirmation
    assert reference(1) in manager_chat and "full of rubbish every weekend" in manager_chat
    assert "Linden-Süd" in manager_chat
    assert "[#1]" in manager_chat  # the notification's buttons are numbered
    assert "<b>" not in out and "\x1b[" not in out  # HTML stripped, no colours without a TTY
    assert database.exists()


async def test_a_second_run_keeps_the_data_and_binds_the_manager_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "demo.sqlite3"
    await play(tmp_path, "first.txt", "Broken bench in the park.", database)
    capsys.readouterr()
    await play(tmp_path, "second.txt", "Broken street light at the corner.", database)
    out = capsys.readouterr().out
    manager_chat = out.split(MANAGER_HEADER, 1)[1]
    # The database links the first run's message ids to case 1; reusing them would fail the
    # delivery (unique constraint) and send the notification twice.
    assert manager_chat.count(reference(2)) == 1 and "Broken street light" in manager_chat
    assert "something went wrong" not in out
    with sqlite3.connect(database) as db:
        active = db.execute(
            "SELECT count(*) FROM role_assignments WHERE ended_at IS NULL"
        ).fetchone()[0]
    assert active == 3  # the manager, the representative, the council member: each bound once


async def test_mistakes_do_not_end_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "typos.txt"
    script.write_text("#1\n!nothing\n:ort 1 2 3\n:unsinn\n:als niemand\n/start\n#9\n:ende\n/neu\n")
    settings = make_settings(tmp_path)
    code = await run_demo(settings, database=str(tmp_path / "d.sqlite3"), script=str(script))
    out = capsys.readouterr().out
    assert code == 0
    assert "keine nummerierten Knöpfe" in out and "keinen Knopf „nothing“" in out
    assert "Breite und Länge" in out and "Unbekannter Demo-Befehl" in out
    assert "Personen in dieser Demo" in out  # an unknown persona lists the known ones
    assert "Knopf #9 gibt es nicht" in out
    assert "› /neu" not in out  # :ende stopped the script
    assert "Auf Wiedersehen" in out


@pytest.mark.parametrize("via", ["script", "stdin"])
def test_python_m_bot_demo_runs_without_a_token(tmp_path: Path, via: str) -> None:
    lines = "/start\n#1\n:personen\n"
    database = tmp_path / "data" / "demo.sqlite3"
    command = [sys.executable, "-m", "bot", "demo", "--database", str(database)]
    if via == "script":
        (tmp_path / "script.txt").write_text(lines + ":ende\n", encoding="utf-8")
        command += ["--script", "script.txt"]
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "NO_COLOR")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        input=lines if via == "stdin" else "",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Bezirksbot – Offline-Demo" in result.stdout
    assert "[#1]" in result.stdout  # the consent buttons
    assert "Personen in dieser Demo" in result.stdout
    assert "Auf Wiedersehen" in result.stdout  # at :ende, or at the end of the input
    assert database.exists()


async def test_a_bare_number_presses_the_button_it_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Newcomers type "1" for "[#1]": a press when the newest message has that button,
    otherwise a text as typed (here the menu has no numbered buttons)."""
    script = tmp_path / "numbers.txt"
    script.write_text(":lang en\n/start\n1\n/neu\n30449\n99\n")
    settings = make_settings(tmp_path)
    code = await run_demo(settings, database=str(tmp_path / "d.sqlite3"), script=str(script))
    out = capsys.readouterr().out
    assert code == 0
    assert "(„1“ als Knopf #1 verstanden)" in out and "(gedrückt: ✅ I agree)" in out
    assert "Where is your concern?" in out  # consent was given: /neu starts the intake
    assert "„30449“ als Knopf" not in out  # a postcode is no button number
    assert "„99“ als Knopf" not in out  # no button #99: sent as text


async def test_time_travel_runs_the_sweep_and_the_rep_sees_the_nudge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An agreement for the representative's department; `:zeit` moves the demo's clock, the
    real sweep sends the nudge, and the representative persona sees it (German)."""
    from bot.app import make_services, open_storage
    from bot.services.access import people
    from bot.services.agreements import workflow as agreements
    from bot.storage.db import session_scope

    database = tmp_path / "demo.sqlite3"
    first = tmp_path / "first.txt"
    first.write_text(":personen\n", encoding="utf-8")
    settings = make_settings(tmp_path)
    assert await run_demo(settings, database=str(database), script=str(first)) == 0
    assert "vertreter" in capsys.readouterr().out  # the representative is one of the personas

    demo_settings = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{database}"})
    engine, maker = await open_storage(demo_settings)
    try:
        services = make_services(demo_settings, maker)
        now = services.clock.now()
        async with session_scope(maker) as session:
            manager = await people.get_person(session, telegram_id=MANAGER.user_id)
            assert manager is not None
            await agreements.create_agreement(
                session, services.env, district="10", department="66",
                measure="Zwei Abfallbehälter am Küchengartenplatz", due=now + timedelta(days=10),
                now=now, created_by=manager, topic="public_space",
            )  # fmt: skip
    finally:
        await engine.dispose()

    second = tmp_path / "second.txt"
    day = (now + timedelta(days=12)).astimezone(ZoneInfo("Europe/Berlin")).date()
    while day.weekday() >= 5:  # a working day at 10:00: nudges wait for working hours
        day += timedelta(days=1)
    second.write_text(
        f":als vertreter\n:zeit +4h\n:zeit morgen\n:zeit {day.isoformat()} 10:00\n",
        encoding="utf-8",
    )
    assert await run_demo(settings, database=str(database), script=str(second)) == 0
    out = capsys.readouterr().out
    rep_chat = out.split(f"Sie sind jetzt: {REP.label}", 1)[1]
    assert "⏩ Demo-Zeit jetzt:" in rep_chat and "(Europe/Berlin)" in rep_chat
    assert "Zwei Abfallbehälter am Küchengartenplatz" in rep_chat  # the nudge reached the rep
    assert "ist keine Zeitangabe" in rep_chat  # "morgen" is explained, not guessed
    assert "fällige Erinnerung(en) verarbeitet" in rep_chat


async def test_reply_to_edits_files_and_an_honest_help(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """German: the consent button edits its message (shown as an edit), `:antworte` replies
    to an earlier message, /meine_daten's file is saved with its path, the help is honest."""
    script = tmp_path / "de.txt"
    script.write_text(
        ":hilfe\n/start\n#1\n:antworte 1 Eine Frage dazu\n:antworte 99 x\n/meine_daten\n",
        encoding="utf-8",
    )
    database = tmp_path / "data" / "demo.sqlite3"
    settings = make_settings(tmp_path)
    assert await run_demo(settings, database=str(database), script=str(script)) == 0
    out = capsys.readouterr().out
    assert "Bezirksgrenzen-Datei" in out  # a shared location needs the boundary file
    assert "✏️ bearbeitet:" in out
    assert "(Antwort auf: „" in out
    assert "so: :antworte <1 bis" in out
    saved = sorted((tmp_path / "data" / "demo-files").iterdir())
    assert saved and f"gespeichert: {saved[0]}" in out
    assert saved[0].read_bytes().startswith(b"{")
