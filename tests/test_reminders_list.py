"""The coming reminders: `/erinnerungen` in the chat (managers: their districts) and
`bezirksbot reminders` on the command line, both read from the reminders table."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import cli
from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.agreements import workflow as agreements
from bot.storage.db import session_scope
from tests.conftest import ADMIN_ID, BotEnv, make_settings
from tests.helpers import bind_role

BERLIN = ZoneInfo("Europe/Berlin")
MANAGER, REP, OTHER_MANAGER, RESIDENT = 700_010, 700_066, 700_003, 100_123


async def _german(env: BotEnv, telegram_id: int) -> None:
    """bind_role stores "en" as the person's language; these managers chose German."""
    async with session_scope(env.services.session_maker) as session:
        person = await people.get_person(session, telegram_id=telegram_id)
        assert person is not None
        person.language = "de"


async def _agreement(env: BotEnv, due: datetime) -> int:
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    await _german(env, MANAGER)
    await bind_role(env, REP, Role.REP, district="10", department="66", first_name="Ralf")
    async with session_scope(env.services.session_maker) as session:
        manager = await people.get_person(session, telegram_id=MANAGER)
        assert manager is not None
        agreement = await agreements.create_agreement(
            session,
            env.services.env,
            district="10",
            department="66",
            measure="Zwei weitere Abfallbehälter am Küchengartenplatz",
            due=due,
            now=env.clock.now(),
            created_by=manager,
            topic="public_space",
        )
        return agreement.id


async def test_manager_sees_the_coming_nudges_in_german(env: BotEnv) -> None:
    await _agreement(env, datetime(2026, 3, 27, tzinfo=BERLIN))  # Friday in 16 days
    manager = env.sim.user(MANAGER, language_code="de")

    await manager.send("/erinnerungen")
    text = manager.last.plain_text
    assert text.startswith("Erinnerungen der nächsten 14 Tage")
    assert "Erinnerung an eine Vereinbarung für Ralf, Fachbereichsvertreter/in von" in text
    assert "„Zwei weitere Abfallbehälter am Küchengartenplatz“" in text
    assert "08:00" in text  # nudges go out at 08:00 Hannover time
    assert "Eskalation" not in text  # escalations come after the due date, beyond 14 days

    await manager.send("/erinnerungen 40")
    text = manager.last.plain_text
    assert text.startswith("Erinnerungen der nächsten 40 Tage")
    assert "Eskalation einer Vereinbarung für das Stadtbezirksmanagement" in text
    assert "Eskalation einer Vereinbarung für die Koordination 18.6" in text
    lines = [ln for ln in text.splitlines() if ln.startswith("• ")]
    assert len(lines) >= 4


async def test_only_the_managers_own_districts_and_no_residents(env: BotEnv) -> None:
    await _agreement(env, datetime(2026, 3, 27, tzinfo=BERLIN))
    await bind_role(env, OTHER_MANAGER, Role.MANAGER, district="03")
    await _german(env, OTHER_MANAGER)
    other = env.sim.user(OTHER_MANAGER, language_code="de")
    await other.send("/erinnerungen")
    assert other.last.plain_text == "In den nächsten 14 Tagen ist keine Erinnerung fällig."

    resident = env.sim.user(RESIDENT, language_code="en")
    await resident.send("/reminders")
    assert resident.last.plain_text == "Sorry, you are not allowed to do that."


async def test_the_coordination_sees_every_district(env: BotEnv) -> None:
    await _agreement(env, datetime(2026, 3, 27, tzinfo=BERLIN))
    coordinator = env.sim.user(ADMIN_ID, language_code="en")
    await coordinator.send("/reminders 40")
    text = coordinator.last.plain_text
    assert text.startswith("Reminders of the next 40 days")
    assert "Reminder of an agreement to Ralf, representative of Department 66" in text
    assert "Escalation of an agreement to the coordination unit" in text


async def test_the_command_line_lists_them_in_german(
    env: BotEnv,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    env.clock.set(now)  # the command reads the real clock
    await _agreement(env, (now + timedelta(days=9)).astimezone(BERLIN))
    monkeypatch.setattr(cli, "_settings", lambda: make_settings(tmp_path))
    monkeypatch.setattr(cli, "configure_logging", lambda settings: None)

    def main(*argv: str) -> int:  # its own event loop, as from the shell
        return cli.main(list(argv))

    assert await asyncio.to_thread(main, "reminders", "--district", "10", "--days", "14") == 0
    out = capsys.readouterr().out
    assert out.startswith("Erinnerungen der nächsten 14 Tage")
    assert "[10] " in out and "für Ralf, Fachbereichsvertreter/in von" in out

    assert await asyncio.to_thread(main, "reminders", "--district", "03") == 0
    assert "keine Erinnerung fällig" in capsys.readouterr().out
    assert await asyncio.to_thread(main, "reminders", "--district", "99") == 2
    assert "Unknown district" in capsys.readouterr().err
