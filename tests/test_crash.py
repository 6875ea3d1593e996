"""Crash test: the bot as its own process, killed with SIGKILL while people talk to it.

The CI size (60 conversations, 5 kills) takes about 1.5 minutes on SQLite (in the suite's
PostgreSQL pass up to 3, see `crash_config`); a bigger run:

    CRASH_CONVERSATIONS=300 .venv/bin/pytest tests/test_crash.py -s

(CRASH_KILLS sets the number of kills, CRASH_SEED the random seed.) The figures are printed
even without -s, and their summary line once more at the end of pytest's output. See
tests/crash/driver.py for what the people do and how it is counted.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from telegram import Bot

from bot.app import open_storage
from bot.config import Settings
from bot.offline.http_api import BotApiServer
from bot.services.basics.reference import load_reference_data
from bot.services.messaging import outbox
from tests import pg
from tests.conftest import CRASH_COUNTS
from tests.crash.driver import (
    ADMIN_IDS,
    TOKEN,
    BotProcess,
    CrashConfig,
    CrashDriver,
    analyse,
    bind_staff,
    bot_environment,
)


def crash_config() -> CrashConfig:
    conversations = int(os.environ.get("CRASH_CONVERSATIONS") or 60)
    kills = int(os.environ.get("CRASH_KILLS") or max(5, conversations // 30))
    seed = int(os.environ.get("CRASH_SEED") or 20260311)
    concurrency = 16 if conversations <= 100 else 32
    # On PostgreSQL the outbox claims a batch before sending it; what a killed process had
    # claimed is sent only when the claim runs out, so the final drain must outlast a claim.
    drain = outbox.CLAIM_SECONDS + 30 if pg.enabled() else 60.0
    return CrashConfig(
        conversations=conversations,
        kills=kills,
        seed=seed,
        concurrency=concurrency,
        drain_timeout=drain,
    )


@pytest.mark.crash
async def test_nothing_confirmed_is_lost_or_doubled_when_the_bot_is_killed(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    config = crash_config()
    # SQLite; in the suite's PostgreSQL pass (TEST_DATABASE_URL) a fresh PostgreSQL database.
    database_url = (
        pg.database_url(tmp_path)
        if pg.enabled()
        else f"sqlite+aiosqlite:///{tmp_path / 'crash.sqlite3'}"
    )
    settings = Settings(
        _env_file=None,
        database_url=database_url,  # type: ignore[call-arg]
        admin_telegram_ids=list(ADMIN_IDS),
        telegram_bot_token=None,
    )
    engine, maker = await open_storage(settings)  # the schema, before the bot's first start
    reference = load_reference_data(None)
    staff = await bind_staff(maker, reference)
    try:
        async with BotApiServer(token=TOKEN) as server:
            bot = BotProcess(server, bot_environment(server.url, database_url), tmp_path)
            driver = CrashDriver(config, server, bot, maker, reference, staff)
            try:
                async with asyncio.timeout(
                    120 + config.conversations * 3 + 2 * config.drain_timeout
                ):
                    await driver.run()
            except TimeoutError:
                with capsys.disabled():
                    print(driver.diagnose())
                raise
            finally:
                if bot.alive:
                    await bot.terminate(within=10)
            report = await analyse(driver)
    finally:
        await engine.dispose()
    with capsys.disabled():
        print(report.format())
        print(f"(bot log: {bot.log_path})")
    # repeated at the end of pytest's output (tests/conftest.py), where CI logs show it
    record_property(CRASH_COUNTS, report.summary("PostgreSQL" if pg.enabled() else "SQLite"))

    assert report.kills >= config.kills - 1, "the kills did not happen during the run"
    assert report.abandoned == 0, "residents gave up: the bot stopped answering them"
    # The inbox: an update taken by a killed process is handled at the next start, so no
    # resident repeats a step, but one whose step was in flight at a kill (a step begun,
    # neither finished nor recorded, and handled again: the answer may come twice).
    restarts = report.resident_restarts.total()
    assert restarts == report.resident_restarts_at_kill, report.format()
    assert report.resident_restarts_at_kill <= report.kills, report.format()
    assert report.concerns_confirmed == report.intakes
    assert report.concerns_lost == 0, report.problems
    assert report.concerns_doubled == 0, report.problems
    assert report.reference_gaps == 0
    # The "Thank you … number …" is queued in the case's own transaction, so a kill between the
    # commit and its sending only delays it (the outbox sends it after the restart). A resident
    # who meanwhile tells the concern again files a second case ("told again after a kill"):
    # allowed only for a kill in flight between "Send" and the answer.
    assert report.unconfirmed_stored == report.unconfirmed_in_flight, report.problems
    assert report.messages_expected > report.intakes  # notifications, statuses, answers
    assert report.messages_lost == 0, report.problems
    assert report.messages_failed == 0, report.problems
    assert report.messages_duplicated <= report.kills, report.problems
    assert report.nudges_sent == report.nudges_due
    # the managers' Lotse path ran: each referral schedules the resident's follow-up question
    assert report.nudges_due > 0, "no referral happened: the managers' Lotse path is broken"
    # the Kümmerer's resolve path ran through its preview; a kill never resolved a case twice
    assert report.cases_resolved > 0, "nothing was resolved: the resolve confirmation is broken"
    assert report.resolved_twice == 0, report.problems


async def test_http_stand_in_speaks_the_bot_api_over_http() -> None:
    """python-telegram-bot's own HTTP client against the stand-in: JSON, form and multipart
    bodies, long polling, confirmation by offset, and the control API."""
    async with BotApiServer(token=TOKEN) as server:
        bot = Bot(TOKEN, base_url=f"{server.url}/bot", base_file_url=f"{server.url}/file/bot")
        async with bot, httpx.AsyncClient(base_url=server.url) as client:
            me = await bot.get_me()
            assert me.username == "BezirksbotTestBot"
            sent = await bot.send_message(1001, "42")  # a text that looks like JSON stays text
            assert sent.text == "42" and sent.chat.id == 1001
            photo = await bot.send_photo(1001, b"\xff\xd8 jpeg \xff\xd9", caption="true")
            assert photo.caption == "true" and photo.photo
            stored = server.api.sent[1001][-1].photo
            assert stored is not None and stored.content == b"\xff\xd8 jpeg \xff\xd9"
            file = await bot.get_file(photo.photo[-1].file_id)
            assert bytes(await file.download_as_bytearray()) == b"\xff\xd8 jpeg \xff\xd9"

            user = {"id": 1001, "is_bot": False, "first_name": "Erika"}
            answer = await client.post(
                "/_control/push", json={"message": {"from": user, "text": "/start"}}
            )
            first = answer.json()["result"]["update_id"]
            server.push({"message": {"from": user, "text": "hello"}})
            updates = await bot.get_updates(timeout=5)
            assert [u.update_id for u in updates] == [first, first + 1]
            assert updates[0].message is not None and updates[0].message.text == "/start"
            again = await bot.get_updates(offset=first + 1, timeout=5)  # the first confirmed
            assert [u.update_id for u in again] == [first + 1]
            waited = asyncio.create_task(bot.get_updates(offset=first + 2, timeout=5))
            await asyncio.sleep(0.2)
            assert not waited.done()  # long polling: the call waits for the next update
            server.push({"message": {"from": user, "text": "later"}})
            late = await asyncio.wait_for(waited, 3)
            assert [u.message.text for u in late if u.message] == ["later"]

            listing = (await client.get("/_control/sent", params={"chat_id": 1001})).json()
            assert [m["method"] for m in listing["result"]] == ["sendMessage", "sendPhoto"]
            wrong = await client.post("/bot1:WRONG/getMe")
            assert wrong.status_code == 401 and json.loads(wrong.content)["ok"] is False
