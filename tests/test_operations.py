"""Operations: `bezirksbot backup`, and a graceful stop on SIGTERM of the real process.

The SIGTERM test runs `python -m bot run` as its own process against the HTTP stand-in of the
Bot API (bot/offline/http_api.py) and the test database (SQLite, or PostgreSQL in the second
run of scripts/test).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import cli
from bot.app import open_storage
from bot.offline.fake_api import FakeBotAPI
from bot.offline.http_api import BotApiServer
from bot.storage.db import session_scope
from bot.storage.models import Person, ProcessedUpdate
from tests.conftest import ADMIN_ID, make_settings

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-operations"
USER = {"id": 5_100_000_042, "is_bot": False, "first_name": "Erika", "language_code": "en"}


# --- backup ------------------------------------------------------------------------------------
async def test_backup_copies_the_live_sqlite_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    url = f"sqlite+aiosqlite:///{database}"
    settings = make_settings(tmp_path, database_url=url)
    engine, maker = await open_storage(settings)
    monkeypatch.chdir(tmp_path)  # no .env of the developer
    monkeypatch.setenv("DATABASE_URL", url)
    try:
        async with session_scope(maker) as session:  # the bot is running and has written
            from datetime import UTC, datetime

            session.add(Person(telegram_id=77, first_name="Ada", created_at=datetime.now(UTC)))
        assert await asyncio.to_thread(cli.main, ["backup"]) == 0
        written = capsys.readouterr().out
        copies = list((database.parent / "backups").glob("bezirksbot-*.sqlite3"))
        assert len(copies) == 1 and str(copies[0].name) in written
        with sqlite3.connect(copies[0]) as copy:
            assert copy.execute("SELECT first_name FROM persons").fetchall() == [("Ada",)]
        target = tmp_path / "elsewhere" / "copy.sqlite3"
        assert await asyncio.to_thread(cli.main, ["backup", "--output", str(target)]) == 0
        assert target.is_file()
        assert await asyncio.to_thread(cli.main, ["backup", "--output", str(target)]) == 1
        assert "exists already" in capsys.readouterr().err
    finally:
        await engine.dispose()


def test_backup_with_postgresql_shows_pg_dump(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bot:secret@db.example:5433/bb")
    assert cli.main(["backup", "--output", "/srv/backup/"]) == 2
    out = capsys.readouterr().out
    assert "pg_dump --format=custom --no-owner --host=db.example --port=5433" in out
    assert "--username=bot --file=/srv/backup/bezirksbot-" in out and out.count(".dump") == 1
    assert "secret" not in out  # the password belongs in PGPASSWORD or ~/.pgpass


# --- SIGTERM -----------------------------------------------------------------------------------
async def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    try:
        async with asyncio.timeout(seconds):
            while not condition():  # noqa: ASYNC110 - state of the in-process stand-in
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def _methods(api: FakeBotAPI, since: int) -> list[str]:
    return [call.method for call in api.calls[since:] if call.method != "getUpdates"]


async def test_sigterm_finishes_the_update_in_hand_and_writes_the_state(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    engine, maker = await open_storage(settings)
    async with BotApiServer(token=TOKEN) as server:
        api = server.api
        log = (tmp_path / "bot.log").open("wb")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE"))},
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": server.url,
            "DATABASE_URL": settings.database_url,
            "ADMIN_TELEGRAM_IDS": str(ADMIN_ID),
            "PERSISTENCE_INTERVAL_SECONDS": "600",
            "PYTHONPATH": str(ROOT),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            await _until(
                lambda: any(c.method == "getUpdates" for c in api.calls), 90, "the bot to poll"
            )
            server.push({"message": {"from": USER, "text": "/start"}})
            await _until(lambda: bool(api.sent.get(USER["id"])), 30, "the consent question")
            question = api.sent[USER["id"]][-1]
            agree = next(b for b in question.inline_buttons if "I agree" in b["text"])

            api.delay = 1.0  # every Bot API call now takes a second: the update stays in hand
            before = len(api.calls)
            server.push(
                {
                    "callback_query": {
                        "from": USER,
                        "data": agree["callback_data"],
                        "message": question.to_dict(),
                    }
                }
            )
            await _until(lambda: bool(_methods(api, before)), 30, "the update to be in hand")
            # the press is answered and its keyboard removed at once; the rest is still to come
            assert set(_methods(api, before)) <= {"answerCallbackQuery", "editMessageReplyMarkup"}
            process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 60)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            log.close()
        output = (tmp_path / "bot.log").read_text(errors="replace")
        assert code == 0, output[-3000:]
        # the update in hand finished: its remaining calls came after the signal
        assert _methods(api, before)[-3:] == [
            "answerCallbackQuery",
            "editMessageReplyMarkup",
            "sendMessage",
        ], output[-3000:]
        assert "SIGTERM received: stopping gracefully" in output
        # the fetched updates were confirmed to Telegram before the process ended
        assert api.pending_updates == []
    try:
        async with session_scope(maker) as session:
            person = await session.scalar(select(Person).where(Person.telegram_id == USER["id"]))
            assert person is not None and person.consent_at is not None
            assert len(list(await session.scalars(select(ProcessedUpdate)))) == 2
    finally:
        await engine.dispose()


# --- the command line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "needs"),
    [
        ("start", ["TELEGRAM_BOT_TOKEN", "offline demo"]),
        ("run", ["long polling", "TELEGRAM_BOT_TOKEN (required)"]),
        ("serve", ["webhook", "WEBHOOK_URL", "WEBHOOK_SECRET", "LISTEN_PORT", "/healthz"]),
    ],
)
def test_help_describes_the_command_and_its_settings(
    command: str, needs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"usage: bezirksbot {command}" in out
    for word in needs:
        assert word in out
    assert ".env" in out


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    environment["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=environment | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serve_without_a_token_names_serve(tmp_path: Path) -> None:
    result = _cli(tmp_path, "serve")
    assert result.returncode == 2
    assert "Start again:  bezirksbot serve" in result.stderr
    assert "bezirksbot run" not in result.stderr


def test_alembic_speaks_only_with_verbose(tmp_path: Path) -> None:
    quiet = _cli(tmp_path, "migrate")
    assert quiet.returncode == 0, quiet.stderr
    assert "Database schema is up to date." in quiet.stdout
    assert "alembic" not in quiet.stderr

    (tmp_path / "cli.sqlite3").unlink()
    loud = _cli(tmp_path, "-v", "migrate")
    assert loud.returncode == 0, loud.stderr
    assert "INFO alembic.runtime.migration" in loud.stderr
