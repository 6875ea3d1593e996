"""Flood control that knows who is writing: staff at work keep every update, a resident who
writes too fast is told once (in their language) and their form waits at its step."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Agreement
from bot.updates.flood import ROLE_TTL, FloodControl
from bot.updates.guard import guard_of
from tests.conftest import BotEnv
from tests.helpers import bind_role
from tests.test_guard import bot_env, sim_of

MANAGER, REP = 700_401, 700_466


def _frozen(env: BotEnv) -> list[float]:
    """Flood control's clock stands still: every update of the test is in one minute."""
    assert env.app is not None
    now = [5000.0]
    guard_of(env.app).flood.clock = lambda: now[0]
    return now


async def _agreements(env: BotEnv) -> int:
    async with session_scope(env.services.session_maker) as session:
        return int(await session.scalar(select(func.count(Agreement.id))) or 0)


async def test_a_manager_records_five_agreements_in_a_minute_and_loses_nothing(
    tmp_path: Path,
) -> None:
    """40 updates in one minute, above the residents' 30: every form step is answered."""
    async with bot_env(tmp_path, flood_messages_per_minute=30) as env:
        _frozen(env)
        await bind_role(env, MANAGER, Role.MANAGER, district="10", language="de")
        manager = sim_of(env).user(MANAGER, language_code="de")
        updates = 0
        for number in range(5):
            await manager.send("/vereinbarung")
            await manager.press_data("agf:dep:66")
            await manager.send(f"Zwei Papierkörbe am Küchengarten, Nummer {number + 1}.")
            await manager.send("bis Ende März")
            for data in ("agf:due:yes", "agf:topic:-", "agf:plan:-", "agf:save"):
                await manager.press_data(data)
            updates += 8
        assert updates == 40
        assert await _agreements(env) == 5
        assert not any("langsamer" in text for text in manager.texts())


async def test_a_resident_is_told_once_in_german_and_the_form_waits(tmp_path: Path) -> None:
    async with bot_env(tmp_path, flood_messages_per_minute=30) as env:
        now = _frozen(env)
        erika = sim_of(env).user(5601, language_code="de")
        await erika.send("/start")
        await erika.press("Ich stimme zu")
        for _ in range(27):
            await erika.send("/hilfe")
        await erika.send("/neu")  # the 30th update: the intake asks for the place
        asked = erika.last.plain_text
        assert any(text.startswith("Schritt 1 von") for text in erika.texts()[-2:])
        answered = len(erika.messages)
        for _ in range(10):
            await erika.send("linden sued")
        slow = [t for t in erika.texts() if "langsamer" in t]
        assert slow == [
            "Sie schreiben sehr schnell. Bitte etwas langsamer: Das habe ich nicht "
            "angenommen. Versuchen Sie es in 60 Sekunden noch einmal; was Sie gerade "
            "ausfüllen, bleibt erhalten."
        ]
        assert len(erika.messages) == answered + 1  # told once, nothing else
        now[0] += 60
        await erika.send("linden sued")  # the intake is still at its first step
        assert erika.last.plain_text != asked
        assert "Linden-Süd" in erika.last.plain_text, asked


async def test_a_department_rep_keeps_forty_presses_in_english(tmp_path: Path) -> None:
    async with bot_env(tmp_path, flood_messages_per_minute=30) as env:
        _frozen(env)
        await bind_role(env, REP, Role.REP, district="10", department="66")
        rep = sim_of(env).user(REP, language_code="en")
        for _ in range(20):
            await rep.send("/sprache")
            await rep.press("English")
        assert len([t for t in rep.texts() if "slow down" in t]) == 0
        assert len(rep.messages) >= 40  # every command and press was answered


async def test_a_resident_writing_forty_times_is_told_once_in_english(tmp_path: Path) -> None:
    async with bot_env(tmp_path, flood_messages_per_minute=30) as env:
        now = _frozen(env)
        jan = sim_of(env).user(5602, language_code="en")
        now[0] -= 20  # the first message came 20 seconds before the others
        await jan.send("/meine")
        now[0] += 20
        for _ in range(39):
            await jan.send("/meine")
        told = [t for t in jan.texts() if "slow down" in t]
        assert told == [
            "You are writing very fast. Please slow down: I did not take that in. Try "
            "again in 40 seconds; what you were filling in is kept."
        ]
        assert len(jan.messages) == 31


async def test_the_role_is_looked_up_only_over_the_residents_limit_and_cached() -> None:
    now, asked = [0.0], []

    async def is_staff(user_id: int) -> bool:
        asked.append(user_id)
        return user_id == 1

    flood = FloodControl(3, staff_limit=6, is_staff=is_staff, clock=lambda: now[0])
    assert [await flood.check(2) for _ in range(5)] == ["ok", "ok", "ok", "warn", "drop"]
    assert [await flood.check(1) for _ in range(8)] == ["ok"] * 6 + ["warn", "drop"]
    assert asked == [2, 1]  # once each, on reaching the residents' limit
    now[0] = 61 + ROLE_TTL  # the answer is old: asked again (a role may have ended)
    for _ in range(4):
        await flood.check(2)
    assert asked == [2, 1, 2]
