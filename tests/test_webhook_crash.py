"""A webhook instance killed between two updates leaves the latest conversation state, and one
killed with updates in hand (accepted with a 200, not finished) has them handled by the next."""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from bot.updates.inbox import WEBHOOK_GRACE
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


def _ids(path: Path, table: str) -> set[int]:
    with sqlite3.connect(path) as db:
        return {update_id for (update_id,) in db.execute(f"SELECT update_id FROM {table}")}


async def _burst(base: str, updates: list[dict[str, object]]) -> list[int]:
    headers = {SECRET_HEADER: SECRET}
    async with httpx.AsyncClient(timeout=30) as client:
        answers = await asyncio.gather(
            *(client.post(base + "/tg", json=update, headers=headers) for update in updates)
        )
    return [answer.status_code for answer in answers]


def test_updates_a_killed_webhook_instance_accepted_are_handled_after_its_restart(
    tmp_path: Path,
) -> None:
    """A burst of /start from 60 people, SIGKILL right after the last 200: what the instance
    had not finished is handled by the next one (the inbox), each update once."""
    database = tmp_path / "test.sqlite3"
    updates = [start_update(5500 + n, "/start") for n in range(60)]
    for update in updates:  # German speakers
        update["message"]["from"]["language_code"] = "de"
    accepted = {int(str(update["update_id"])) for update in updates}
    process, base = start_serve(tmp_path, 5500)
    try:
        assert asyncio.run(_burst(base, updates)) == [200] * len(updates)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    assert accepted <= _ids(database, "update_inbox")  # stored before each 200
    unfinished = accepted - _ids(database, "processed_updates")
    assert unfinished, "every update was finished before the kill: the burst was too small"

    process, _ = start_serve(tmp_path, 5500)
    time.sleep(WEBHOOK_GRACE + 2.0)  # it leaves other instances' fresh updates alone first
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err[-2000:]
    assert accepted <= _ids(database, "processed_updates")
    replayed = {int(n) for n in re.findall(r"update (\d+) replayed from the inbox", err)}
    assert replayed == unfinished
