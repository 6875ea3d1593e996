"""A webhook instance killed between two updates leaves the latest conversation state."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.web.server import SECRET_HEADER
from tests import pg
from tests.conftest import make_settings
from tests.test_webhook import ROOT, SECRET, SERVE_SCRIPT, _free_port, start_update

pytestmark = pytest.mark.skipif(pg.enabled(), reason="reads the SQLite file directly")


def _rows(path: Path) -> dict[tuple[str, str], str]:
    with sqlite3.connect(path) as db:
        return {(kind, key): data for kind, key, data in
                db.execute("SELECT kind, key, data FROM ptb_persistence")}


def _press(user_id: int, data: str) -> dict[str, object]:
    chat = {"id": user_id, "type": "private", "first_name": "Erika"}
    user = {"id": user_id, "is_bot": False, "first_name": "Erika", "language_code": "en"}
    message = {"message_id": 1, "date": int(time.time()), "chat": chat, "text": "?"}
    return {"update_id": int(time.time() * 1000) % 10**9, "callback_query": {
        "id": f"q{user_id}", "from": user, "chat_instance": "1", "message": message,
        "data": data}}


def test_a_killed_webhook_instance_leaves_the_state_of_its_last_update(tmp_path: Path) -> None:
    port, database = _free_port(), tmp_path / "test.sqlite3"
    environment = {
        **{k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields},
        "PYTHONPATH": str(ROOT), "DATABASE_URL": make_settings(tmp_path).database_url,
        "TELEGRAM_BOT_TOKEN": "123456:TEST", "WEBHOOK_URL": "https://bot.example.org",
        "WEBHOOK_SECRET": SECRET, "WEBHOOK_PATH": "/tg", "LISTEN_PORT": str(port),
        "FLOOD_MESSAGES_PER_MINUTE": "0", "CHAT": "5401",
        # python-telegram-bot alone would write only after an hour
        "PERSISTENCE_INTERVAL_SECONDS": "3600",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_SCRIPT], cwd=tmp_path, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "serve did not become healthy"
            time.sleep(0.1)
        headers = {SECRET_HEADER: SECRET}
        for update in (start_update(5401, "/start"), _press(5401, "consent:yes"),
                       start_update(5401, "/neu")):
            assert httpx.post(base + "/tg", json=update, headers=headers).status_code == 200
        deadline = time.monotonic() + 10
        while not [key for kind, key in _rows(database) if kind.startswith("conv")]:
            assert time.monotonic() < deadline, "the intake's state was not written"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)  # no shutdown hook writes anything now
        process.communicate(timeout=30)
    after = _rows(database)
    assert after[("user", "5401")]
