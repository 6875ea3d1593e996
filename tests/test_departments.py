"""/fachbereich: coordinators correct a department's name from the chat; the correction is
stored, shown on every department button at once and put over the shipped name at start."""

from __future__ import annotations

from sqlalchemy import select

from bot.offline.chats import SimUser
from bot.services.access.departments import apply_corrections
from bot.services.access.roles import Role
from bot.services.basics.reference import load_reference_data
from bot.storage.db import session_scope
from bot.storage.models import DepartmentName
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role, consent, file_concern

COORDINATOR, MANAGER, REP = 700_030, 700_010, 700_040


async def _german(env: BotEnv, telegram_id: int) -> SimUser:
    user = env.sim.user(telegram_id, language_code="de")
    await user.send("/sprache")
    await user.press("Deutsch")
    return user


async def _stored(env: BotEnv) -> dict[str, str]:
    async with session_scope(env.services.session_maker) as session:
        return {row.number: row.name for row in await session.scalars(select(DepartmentName))}


async def test_a_coordinator_corrects_a_name_and_every_button_shows_it(env: BotEnv) -> None:
    await bind_role(env, COORDINATOR, Role.COORDINATOR)
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    coordinator = await _german(env, COORDINATOR)
    await coordinator.send("/fachbereich")
    listing = coordinator.last.plain_text
    assert listing.startswith("Fachbereiche im Verzeichnis („?“ = Name unbestätigt):")
    assert "• Fachbereich 66 (Tiefbau?)" in listing and "• Fachbereich 42\n" in listing
    assert "• Fachbereich 67 – Umwelt und Stadtgrün" in listing
    assert "/fachbereich 66 Tiefbau" in listing

    await coordinator.send("/fachbereich 66   Tiefbau ")
    assert (
        coordinator.last.plain_text == "Gespeichert: Fachbereich 66 – Tiefbau (vorher: Tiefbau)."
    )
    await coordinator.send("/fachbereich 42 Bibliothek und Schule")
    assert coordinator.last.plain_text == "Gespeichert: Fachbereich 42 – Bibliothek und Schule."
    assert await _stored(env) == {"66": "Tiefbau", "42": "Bibliothek und Schule"}

    # the manager's department buttons on a case use the corrected names at once
    manager = await _german(env, MANAGER)
    resident = env.sim.user(1201, language_code="en")
    await consent(resident)
    await file_concern(resident)
    await manager.press("Kümmerer")
    await manager.press("Fachbereich einbeziehen")
    buttons = manager.buttons()
    assert "Fachbereich 66 – Tiefbau" in buttons
    assert "Fachbereich 42 – Bibliothek und Schule" in buttons
    assert "Fachbereich 32 (Öffentliche Ordnung?)" in buttons

    # the correction outlives a restart and a fresh load of the shipped data
    await env.restart()
    await coordinator.send("/fachbereich")
    assert "• Fachbereich 42 – Bibliothek und Schule" in coordinator.last.plain_text
    fresh = load_reference_data()
    assert fresh.department("42").name_de is None
    async with session_scope(env.services.session_maker) as session:
        assert await apply_corrections(session, fresh) == 2
    assert fresh.department("42").name_de == "Bibliothek und Schule"
    assert fresh.department("66").verified and not fresh.department("66").unconfirmed_name


async def test_unknown_number_and_overlong_name_are_explained(env: BotEnv) -> None:
    admin = await _german(env, ADMIN_ID)  # a configured admin may do it without a role
    await admin.send("/fachbereich 99 Irgendwas")
    assert admin.last.plain_text == "Einen Fachbereich 99 gibt es im Verzeichnis nicht."
    await admin.send("/fachbereich 66 " + "x" * 121)
    assert admin.last.plain_text == "Bitte geben Sie einen Namen mit höchstens 120 Zeichen an."
    assert await _stored(env) == {}


async def test_only_coordinators_and_admins_may_rename(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await bind_role(env, REP, Role.REP, department="66")
    english = env.sim.user(1202, language_code="en")
    await consent(english)
    for user in (await _german(env, MANAGER), await _german(env, REP), english):
        await user.send("/fachbereich 66 Straßenbau")
        assert user.last.plain_text in {
            "Das dürfen Sie leider nicht.",
            "Sorry, you are not allowed to do that.",
        }
        await user.send("/fachbereich")
        assert "Fachbereiche im Verzeichnis" not in user.last.plain_text
    assert await _stored(env) == {}
    assert env.services.reference.department("66").name_de == "Tiefbau"
    assert not env.services.reference.department("66").verified
