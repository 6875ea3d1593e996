"""A resident's concern from /start to the manager's chat, through the real Application."""

from __future__ import annotations

from bot.services.roles import Role
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role, consent, count_cases, file_concern

MANAGER_LINDEN = 700_010


async def test_concern_reaches_the_manager_of_the_district(env: BotEnv) -> None:
    await bind_role(env, MANAGER_LINDEN, Role.MANAGER, district="10")
    sim = env.sim
    erika = sim.user(1001, first_name="Erika", language_code="en")
    await consent(erika)
    reference = await file_concern(erika)

    assert reference.startswith("10-2026-")
    manager_chat = sim.user(MANAGER_LINDEN, language_code="en")
    notification = manager_chat.last.plain_text
    assert f"New concern {reference}" in notification
    assert "Linden-Süd" in notification and "Linden-Limmer" in notification
    assert "full of rubbish" in notification
    assert await count_cases(env) == 1
    # nothing went to the coordinators: the district has a manager
    assert env.api.sent.get(ADMIN_ID, []) == []


async def test_district_without_manager_goes_to_coordinators(env: BotEnv) -> None:
    erika = env.sim.user(1002, language_code="en")
    await consent(erika)
    reference = await file_concern(erika, place="Kirchrode")
    assert reference.startswith("06-")
    admin = env.sim.user(ADMIN_ID, language_code="en")
    assert reference in admin.last.plain_text
    assert "no manager of this district" in admin.last.plain_text
