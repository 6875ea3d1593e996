"""The guard in front of every handler: each update once, sound updates only, flood control,
the file size limit, groups answered once; logs without texts or contact details."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram.error import BadRequest

from bot.app import make_services, open_storage
from bot.logging_setup import configure_logging, redact
from bot.offline.fake_api import FakeBotAPI
from bot.offline.simulator import Simulator, SimUser
from bot.services.basics.clock import FakeClock
from bot.storage.db import session_scope
from bot.storage.models import Case, Person, ProcessedUpdate
from bot.updates.guard import (
    GROUP_LIMITS,
    GROUP_ONCE,
    GROUP_SOUND,
    FloodControl,
    guard_of,
)
from bot.updates.sound import malformed
from tests.conftest import START, BotEnv, make_settings
from tests.helpers import consent, count_cases

PHONE, EMAIL = "+49 511 1234567", "erika.muster@example.org"
SECRET_TEXT = "Behind the kiosk someone dumps fridges, number plate H-XY 123, every night."


@asynccontextmanager
async def bot_env(tmp_path: Path, **overrides: Any) -> AsyncIterator[BotEnv]:
    """The conftest `env`, with settings of our choosing."""
    settings = make_settings(tmp_path, **overrides)
    engine, maker = await open_storage(settings)
    clock = FakeClock(START)
    services = make_services(settings, maker, clock=clock)
    env = BotEnv(settings, engine, services, clock, FakeBotAPI())
    await env.start()
    try:
        yield env
    finally:
        await env.stop()
        await engine.dispose()


def sim_of(env: BotEnv) -> Simulator:
    assert env.sim is not None
    return env.sim


def text_message(user: SimUser, text: str) -> dict[str, Any]:
    message = user.build_message(user.user, text=text)
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"message": message}


async def _processed(env: BotEnv) -> int:
    await guard_of(env.app).ledger.flush()  # new ids are recorded in the background
    async with session_scope(env.services.session_maker) as session:
        return int(await session.scalar(select(func.count(ProcessedUpdate.update_id))) or 0)


# --- wiring ---------------------------------------------------------------------------------
async def test_the_guard_runs_before_every_other_handler(env: BotEnv) -> None:
    app = env.app
    assert app is not None
    groups = sorted(app.handlers)
    assert groups[:4] == [GROUP_SOUND, GROUP_ONCE, GROUP_LIMITS, -10]
    assert all(len(app.handlers[g]) == 1 for g in (GROUP_SOUND, GROUP_ONCE, GROUP_LIMITS))


# --- each update once -----------------------------------------------------------------------
async def test_a_repeated_update_id_is_processed_once(env: BotEnv) -> None:
    sim = sim_of(env)
    erika = sim.user(5001, language_code="en")
    await consent(erika)
    payload = {"update_id": 424_242, **text_message(erika, "/hilfe")}
    before = len(erika.messages)
    await sim.deliver(payload)
    answered = len(erika.messages)
    assert answered > before  # the help (and who the district manager is)
    await sim.deliver(payload)  # the same update again: nothing happens
    sim.enqueue(payload)  # and twice at the same moment
    sim.enqueue(payload)
    await sim.settle()
    assert len(erika.messages) == answered


async def test_a_repeated_update_is_skipped_after_a_restart_too(env: BotEnv) -> None:
    """The in-memory list is gone after a restart; the table still knows the id."""
    sim = sim_of(env)
    erika = sim.user(5002, language_code="en")
    await consent(erika)
    await erika.send("/neu")
    press = {
        "update_id": 515_151,
        "callback_query": {
            "id": "q-1",
            "from": erika.user,
            "chat_instance": "1",
            "data": "in:pick",
            "message": erika.last.to_dict(),
        },
    }
    await sim.deliver(press)
    shown = len(erika.messages)
    sim = await env.restart()
    await sim.deliver(press)
    assert len(erika.messages) == shown


async def test_old_update_ids_are_pruned(env: BotEnv) -> None:
    sim = sim_of(env)
    erika = sim.user(5003, language_code="en")
    await erika.send("/hilfe")
    assert await _processed(env) == 1
    assert env.app is not None
    ledger = guard_of(env.app).ledger
    assert await ledger.prune() == 0  # still fresh
    env.clock.advance(days=4)
    assert await ledger.prune() == 1
    assert await _processed(env) == 0


# --- sound updates only ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "change",
    [
        {"text": 12345},
        {"entities": [{"type": "bot_command", "offset": "0", "length": 5}]},
        {"from": {"id": "5004", "is_bot": False, "first_name": "Erika"}},
        {"from": {"id": 6666, "is_bot": False, "first_name": "Mallory"}},  # not the chat's user
        {"text": "\ud800 lone surrogate"},
        {"from": None},
        # a negative user id (a chat's id, never a user's) in its "private chat"
        {
            "from": {"id": -1, "is_bot": False, "first_name": "X"},
            "chat": {"id": -1, "type": "private"},
        },
    ],
)
async def test_malformed_updates_are_dropped_silently(
    env: BotEnv, change: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    sim = sim_of(env)
    erika = sim.user(5004, language_code="en")
    await erika.send("/hilfe")
    payload = text_message(erika, "/hilfe")
    payload["message"].update(change)
    payload["message"] = {k: v for k, v in payload["message"].items() if v is not None}
    before = len(erika.messages)
    with caplog.at_level(logging.INFO):
        update = await sim.deliver(payload)
    assert malformed(update) is not None
    assert len(erika.messages) == before
    assert f"update {update.update_id} dropped: malformed" in caplog.text
    assert not [r for r in caplog.records if r.name == "bot.handlers.fallback"]


async def test_a_forged_user_id_is_dropped_before_any_handler_builds_a_context(
    env: BotEnv,
) -> None:
    """Even before the metrics' handler in group -100, which matches every update."""
    from bot.web.metrics import WebMetrics

    assert env.app is not None
    WebMetrics().instrument(env.app)
    errors: list[object] = []

    async def record(update: object, context: Any) -> None:
        errors.append(context.error)

    env.app.add_error_handler(record)
    sim = sim_of(env)
    # (unhashable ids fail earlier, in the update processor: see KNOWN_ISSUES)
    for forged in ("5005", 2**70, 1.5, True):
        user = {"id": forged, "is_bot": False, "first_name": "Mallory"}
        sim.enqueue(
            {
                "callback_query": {
                    "id": f"q{forged!r}",
                    "from": user,
                    "chat_instance": "1",
                    "data": "consent:yes",
                }
            }
        )
    await sim.settle()
    assert errors == []
    assert not [key for key in env.app.user_data if type(key) is not int]


# --- flood control --------------------------------------------------------------------------
async def test_flood_control_answers_once_then_drops_until_the_minute_is_over(
    tmp_path: Path,
) -> None:
    async with bot_env(tmp_path, flood_messages_per_minute=5) as env:
        sim = sim_of(env)
        assert env.app is not None
        now = [1000.0]
        guard_of(env.app).flood.clock = lambda: now[0]
        erika, jan = sim.user(5101, language_code="en"), sim.user(5102, language_code="en")
        for _ in range(5):
            await erika.send("/meine")
        assert len(erika.messages) == 5
        await erika.send("/meine")
        assert "slow down" in erika.last.plain_text
        for _ in range(10):
            await erika.send("/meine")
            now[0] += 1
        assert len(erika.messages) == 6  # one polite answer, nothing else
        await jan.send("/meine")  # other users are not affected
        assert "/neu" in jan.last.plain_text
        now[0] += 60
        await erika.send("/meine")
        assert "/neu" in erika.last.plain_text and len(erika.messages) == 7


async def test_flood_of_button_presses_is_answered_in_the_query(tmp_path: Path) -> None:
    async with bot_env(tmp_path, flood_messages_per_minute=3) as env:
        sim = sim_of(env)
        erika = sim.user(5103, language_code="en")
        await erika.send("/sprache")
        await erika.press_data("lang:en")
        await erika.press_data("lang:en")
        answer = await erika.press_data("lang:en")
        assert answer is not None and "slow down" in (answer.text or "")
        assert await erika.press_data("lang:en") is None  # dropped without a word


async def test_flood_window_slides() -> None:
    now = [0.0]
    flood = FloodControl(2, window=60, clock=lambda: now[0])
    assert [await flood.check(1) for _ in range(4)] == ["ok", "ok", "warn", "drop"]
    now[0] = 30
    assert await flood.check(1) == "drop"
    assert flood.wait_seconds(1) == 30  # the first stamp leaves the window at 60
    now[0] = 60.5  # the first two stamps left the window, and the warning is a minute old
    assert [await flood.check(1), await flood.check(1), await flood.check(1)] == [
        "ok",
        "ok",
        "warn",
    ]
    now[0] = 121
    assert await flood.check(1) == "ok"
    assert await FloodControl(0).check(1) == "ok"  # 0 switches it off


# --- file size ------------------------------------------------------------------------------
async def test_too_large_files_are_refused_politely(tmp_path: Path) -> None:
    async with bot_env(tmp_path, max_upload_bytes=1000) as env:
        sim = sim_of(env)
        erika = sim.user(5201, language_code="en")
        await consent(erika)
        await erika.send("/neu")
        await erika.send("Bult")
        await erika.press("Yes")
        await erika.press("Senior citizens")
        await erika.send("Benches for the bus stop, please.")
        await erika.send_photo(content=b"\xff\xd8" + b"x" * 2000)
        assert "too large" in erika.last.plain_text and "at most 0 MB" not in erika.last.plain_text
        await erika.send_document(content=b"%PDF" + b"x" * 5000)
        assert "too large" in erika.last.plain_text
        await erika.send_photo(content=b"\xff\xd8 small")
        assert "Photo 1 saved" in erika.last.plain_text  # the intake went on where it was


async def test_photo_count_and_text_length_are_limited(env: BotEnv) -> None:
    sim = sim_of(env)
    erika = sim.user(5202, language_code="en")
    await consent(erika)
    await erika.send("/neu")
    await erika.send("Bult")
    await erika.press("Yes")
    await erika.press("Senior citizens")
    await erika.send("x" * (env.settings.max_text_length + 1))
    assert "please shorten it" in erika.last.plain_text
    await erika.send("Benches for the bus stop, please.")
    for _ in range(env.settings.max_photos):
        await erika.send_photo()
    await erika.send_photo()
    assert f"already added {env.settings.max_photos} photos" in erika.last.plain_text


# --- groups and channels --------------------------------------------------------------------
async def test_group_chats_and_channels_are_answered_once(env: BotEnv) -> None:
    sim = sim_of(env)
    group = sim.group(-100_500, "Nachbarschaft Linden")
    erika, jan = sim.user(5301, language_code="en"), sim.user(5302, language_code="en")
    persons_before = await _count(env, Person)
    await group.send(erika, "/start")
    await group.send(jan, "/neu")
    await group.send(erika, "Hello bot, the square is dirty")
    assert len(group.messages) == 1
    assert "only work in a private chat" in group.last.plain_text
    press = {
        "callback_query": {  # a forged button under the bot's message in the group
            "id": "g-1",
            "from": jan.user,
            "chat_instance": "g",
            "data": "consent:yes",
            "message": group.last.to_dict(),
        }
    }
    await sim.deliver(press)
    assert len(group.messages) == 1
    posts = await sim.channel_post(-100_600, "/neu")
    await sim.channel_post(-100_600, "again")
    assert len(posts) == 1 and len(sim.api.messages(-100_600)) == 1
    assert await _count(env, Person) == persons_before
    assert await count_cases(env) == 0


async def _count(env: BotEnv, model: type) -> int:
    async with session_scope(env.services.session_maker) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- logs -----------------------------------------------------------------------------------
async def test_logs_hold_no_message_text_or_contact_details(
    env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    sim = sim_of(env)
    erika = sim.user(5401, language_code="en", first_name="Erika", username="erika_linden")
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.INFO)
    await consent(erika)
    await erika.send("/neu")
    await erika.send("linden sued")
    await erika.press("Yes")
    await erika.press("Public space")
    await erika.send(SECRET_TEXT)
    await erika.press("Continue without more photos")
    contact = text_message(erika, f"{PHONE} or {EMAIL}")
    update = await sim.deliver(contact)
    await sim.deliver({"update_id": update.update_id, **contact})  # logged as a repeat
    await erika.press("No, privately")
    await erika.press("Send")
    assert await count_cases(env) == 1
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case))
    assert case is not None and case.contact == f"+495111234567, {EMAIL}"  # normalised
    assert f"update {update.update_id} was already processed" in caplog.text
    logged = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    for secret in (SECRET_TEXT, "number plate", PHONE, "1234567", EMAIL, "erika_linden"):
        assert secret not in logged


def test_the_log_filter_redacts_contact_details_in_messages_and_tracebacks() -> None:
    settings = make_settings(Path("/nonexistent"), log_json=True)
    stream = io.StringIO()
    handler = configure_logging(settings, stream=stream)
    try:
        log = logging.getLogger("bot.test")
        log.info("reach me at %s or %s", PHONE, EMAIL)
        try:
            raise ValueError(f"bad contact 0511/168-42424 {EMAIL}")
        except ValueError:
            log.exception("error while handling update %s", 77)
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["message"] == "reach me at [phone] or [e-mail]"
    assert lines[1]["message"] == "error while handling update 77"
    assert "ValueError: bad contact [phone] [e-mail]" in lines[1]["exception"]
    assert EMAIL not in stream.getvalue() and "42424" not in stream.getvalue()


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("update 123456789 of person 42", True),
        ("case 10-2026-0042 at 2026-03-11 10:00:00", True),
        ("outbox 17: Forbidden: bot was blocked by the user", True),
        ("call 0176 12345678", False),
        ("https://api.telegram.org/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0/getMe", False),
    ],
)
def test_redaction_keeps_ids_and_dates(text: str, kept: bool) -> None:
    assert (redact(text) == text) is kept


# --- the error handler ----------------------------------------------------------------------
async def test_the_error_handler_logs_the_update_id_and_tells_the_user(
    env: BotEnv, caplog: pytest.LogCaptureFixture
) -> None:
    sim = sim_of(env)
    erika = sim.user(5501, language_code="en")
    await consent(erika)
    sim.api.raise_next("sendMessage", BadRequest(f"Bad Request: can't parse {EMAIL}"))
    with caplog.at_level(logging.INFO):
        update = await sim.deliver(text_message(erika, "/hilfe"))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].getMessage() == f"error while handling update {update.update_id}"
    assert errors[0].exc_info is not None
    assert "something went wrong on our side" in erika.last.plain_text
    assert "try again" in erika.last.plain_text
