"""A webhook instance killed between two updates leaves the latest conversation state."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from bot.web.server import SECRET_HEADER
from tests import pg
from tests.test_webhook import SECRET, _update_ids, start_serve, start_update

pytestmark = pytest.mark.skipif(pg.enabled(), reason="reads the SQLite file directly")


def _rows(path: Path) -> dict[tuple[str, str], str]:
    with sqlite3.connect(path) as db:
        return {
            (kind, key): data
            for kind, key, data in db.execute("SELECT kind, key, data FROM ptb_persistence")
        }


def _press(user_id: int, data: str) -> dict[str, object]:
    chat = {"id": user_id, "type": "private", "first_name": "Erika"}
    user = {"id": user_id, "is_bot": False, "first_name": "Erika", "language_code": "en"}
    message = {"message_id": 1, "date": int(time.time()), "chat": chat, "text": "?"}
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"q{user_id}",
            "from": user,
            "chat_instance": "1",
            "message": message,
            "data": data,
        },
    }


def test_a_killed_webhook_instance_leaves_the_state_of_its_last_update(tmp_path: Path) -> None:
    database = tmp_path / "test.sqlite3"
    # python-telegram-bot alone would write only after an hour
    process, base = start_serve(tmp_path, 5401, PERSISTENCE_INTERVAL_SECONDS="3600")
    try:
        headers = {SECRET_HEADER: SECRET}
        for update in (
            start_update(5401, "/start"),
            _press(5401, "consent:yes"),
            start_update(5401, "/neu"),
        ):
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
