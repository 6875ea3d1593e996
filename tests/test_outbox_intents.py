"""The outbox stores intents and renders them at delivery, in the language the recipient has
then; rows written before intents (rendered payloads) still deliver, also across the
migration that introduced intents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, column, insert, select, table

from bot.delivery import flush_outbox
from bot.messages.render import RenderContext, renders, unrendered
from bot.messages.reply import Reply
from bot.services.access import people
from bot.services.messaging import outbox
from bot.services.messaging.intents import (
    Intent,
    IntentError,
    from_params,
    intent,
    to_params,
)
from bot.storage import migrate
from bot.storage.db import create_engine, session_scope
from bot.storage.models import OutboxMessage
from tests.conftest import START, BotEnv

USER = 731_001


@intent("test.language_probe")
@dataclass(frozen=True)
class LanguageProbe(Intent):
    """Only for these tests: says a catalogue text and the day it carries."""

    reference: str
    day: date
    at: datetime | None = None
    parts: tuple[str, ...] = ()


@renders(LanguageProbe)
def _probe(value: LanguageProbe, ctx: RenderContext) -> Reply:
    return Reply(f"{ctx.t('Choose your language:')} {value.reference} {value.day.isoformat()}")


def test_params_survive_the_round_trip() -> None:
    value = LanguageProbe("10-2026-0001", date(2026, 3, 13), START, ("a", "b"))
    params = to_params(value)
    assert params == {
        "reference": "10-2026-0001",
        "day": "2026-03-13",
        "at": START.isoformat(),
        "parts": ["a", "b"],
    }
    assert from_params("test.language_probe", params) == value


def test_an_unknown_kind_or_missing_field_is_an_error() -> None:
    with pytest.raises(IntentError):
        from_params("test.no_such_kind", {})
    with pytest.raises(IntentError):
        from_params("test.language_probe", {"day": "2026-03-13"})


def test_every_intent_has_a_renderer() -> None:
    assert unrendered() == []


async def _queue_probe(env: BotEnv, reference: str) -> None:
    async with session_scope(env.services.session_maker) as session:
        person = await people.get_person(session, telegram_id=USER)
        assert person is not None
        outbox.tell(
            session,
            chat_id=USER,
            intent=LanguageProbe(reference, date(2026, 3, 13)),
            now=env.clock.now(),
            person_id=person.id,
            language="de",
        )


@pytest.mark.parametrize(
    ("telegram_language", "button", "expected"),
    [
        ("de", "English", "Choose your language:"),
        ("en", "Deutsch", "Bitte wählen Sie Ihre Sprache:"),
    ],
)
async def test_a_queued_message_speaks_the_language_chosen_after_it_was_queued(
    env: BotEnv, telegram_language: str, button: str, expected: str
) -> None:
    assert env.sim is not None and env.app is not None
    user = env.sim.user(USER, language_code=telegram_language)
    await user.send("/start")
    await user.press("✅")  # agree to the privacy notice, in either language
    await _queue_probe(env, "10-2026-0042")  # queued while the person reads the old language
    await user.send("/sprache")
    await user.press(button)  # chosen after the message was queued
    await flush_outbox(env.app)
    probes = [m.text for m in env.api.messages(USER) if "10-2026-0042" in (m.text or "")]
    assert probes == [f"{expected} 10-2026-0042 2026-03-13"]


async def test_without_a_chosen_language_the_rows_fallback_is_used(env: BotEnv) -> None:
    async with session_scope(env.services.session_maker) as session:
        outbox.tell(
            session,
            chat_id=USER,
            intent=LanguageProbe("10-2026-0043", date(2026, 3, 13)),
            now=env.clock.now(),
            language="en",
        )
    assert env.app is not None
    await flush_outbox(env.app)
    assert [m.text for m in env.api.messages(USER)] == [
        "Choose your language: 10-2026-0043 2026-03-13"
    ]


async def test_an_old_rendered_row_still_delivers(env: BotEnv) -> None:
    async with session_scope(env.services.session_maker) as session:
        outbox.enqueue(
            session, chat_id=USER, data={"text": "Schon gerendert"}, now=env.clock.now()
        )
    assert env.app is not None
    await flush_outbox(env.app)
    assert [m.text for m in env.api.messages(USER)] == ["Schon gerendert"]


async def test_a_row_that_cannot_be_rendered_is_failed_not_sent(env: BotEnv) -> None:
    async with session_scope(env.services.session_maker) as session:
        row = outbox.tell(
            session,
            chat_id=USER,
            intent=LanguageProbe("10-2026-0044", date(2026, 3, 13)),
            now=env.clock.now(),
        )
        await session.flush()
        row.params = {"reference": "x"}  # a field missing, as after a careless change
    assert env.app is not None
    await flush_outbox(env.app)
    assert env.api.messages(USER) == []
    async with session_scope(env.services.session_maker) as session:
        stored = (await session.scalars(select(OutboxMessage))).one()
        assert stored.failed_at is not None and "render" in (stored.last_error or "")


async def test_rows_queued_before_the_migration_deliver_after_it(tmp_path: Path) -> None:
    """A payload row written by the schema before 0006 is delivered by today's sender."""
    from bot.app import build_application, make_services
    from bot.offline.fake_api import FakeBotAPI
    from bot.offline.simulator import running
    from bot.services.basics.clock import FakeClock
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)
    if settings.sqlite_path() is None:
        pytest.skip("the stairway on PostgreSQL is covered by test_migrations")
    engine = create_engine(settings.database_url)
    await migrate.upgrade(engine, "0005")
    old_outbox = table(
        "outbox",
        column("id", Integer),
        column("chat_id", BigInteger),
        column("kind", String),
        column("payload", JSON),
        column("created_at", DateTime),
        column("next_attempt_at", DateTime),
        column("attempts", Integer),
    )
    async with engine.begin() as connection:
        moment = (START - timedelta(minutes=5)).replace(tzinfo=None)
        await connection.execute(
            insert(old_outbox).values(
                chat_id=USER,
                kind="message",
                payload={"text": "Vor dem Update gerendert"},
                created_at=moment,
                next_attempt_at=moment,
                attempts=0,
            )
        )
    await migrate.upgrade(engine)
    from bot.storage.db import create_session_maker

    api = FakeBotAPI()
    services = make_services(settings, create_session_maker(engine), clock=FakeClock(START))
    app = build_application(settings, services, request=api, rate_limit=False)
    async with running(app):
        await flush_outbox(app)
    await engine.dispose()
    assert [m.text for m in api.messages(USER)] == ["Vor dem Update gerendert"]
