"""Forged or replayed callbacks change nothing and are refused."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Case, CaseEvent
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent, file_concern

MANAGER_10, MANAGER_06 = 700_010, 700_006


async def _state(env: BotEnv) -> tuple[list[tuple[str, str, str | None]], int]:
    async with session_scope(env.services.session_maker) as session:
        cases = [
            (c.reference, c.status, c.district_number) for c in await session.scalars(select(Case))
        ]
        events = int(await session.scalar(select(func.count(CaseEvent.id))) or 0)
    return cases, events


async def test_forged_manager_buttons_are_refused(env: BotEnv) -> None:
    await bind_role(env, MANAGER_10, Role.MANAGER, district="10")
    await bind_role(env, MANAGER_06, Role.MANAGER, district="06")
    erika = env.sim.user(3001, language_code="en")
    mallory = env.sim.user(3002, language_code="en")
    other_manager = env.sim.user(MANAGER_06, language_code="en")
    await consent(erika)
    await consent(mallory)
    await other_manager.send("/start")
    await file_concern(erika)
    async with session_scope(env.services.session_maker) as session:
        case_id = await session.scalar(select(Case.id))
    before = await _state(env)
    forged = [
        f"tr:kue:{case_id}",
        f"tr:lotse:{case_id}",
        f"tr:resolve:{case_id}",
        f"tr:handsend:{case_id}:06",
        f"tr:refsend:{case_id}:easter_fire",
        f"tr:show:{case_id}",
        f"tr:merge:{case_id}:{case_id}",
        f"tr:depadd:{case_id}:66",
        "tr:kue:999999",
        # the buttons that start a typed input, and the next step's confirmation
        f"tr:note:{case_id}",
        f"tr:ask:{case_id}",
        f"tr:ref:{case_id}:easter_fire",
        f"tr:handto:{case_id}:06",
        f"tr:stepok:{case_id}",
        # the case card: its history, the way back to it, reopening and resolving
        f"tr:hist:{case_id}",
        f"tr:show:{case_id}:back",
        f"tr:reopen:{case_id}",
        f"tr:reopenok:{case_id}",
        f"tr:resolveok:{case_id}",
        f"tr:resolveno:{case_id}",
        f"desk:case:{case_id}",
    ]
    for user in (mallory, erika, other_manager):
        for data in forged:
            answer = await user.press_data(data)
            assert answer is not None and "not allowed" in (answer.text or ""), (user, data)
    assert await _state(env) == before
    # no card, history or choice reached them: the case's text is nowhere in their chats
    assert not any(
        "full of rubbish" in m.plain_text for u in (mallory, other_manager) for m in u.messages
    )
    # a refused prompt starts no input: the next text is not used as a note
    await other_manager.send("Forged note.")
    assert await _state(env) == before


async def test_feedback_buttons_only_for_the_own_resident(env: BotEnv) -> None:
    await bind_role(env, MANAGER_10, Role.MANAGER, district="10")
    erika, mallory = env.sim.user(3003, language_code="en"), env.sim.user(3004, language_code="en")
    manager = env.sim.user(MANAGER_10, language_code="en")
    await consent(erika)
    await consent(mallory)
    reference = await file_concern(erika)
    await manager.press("Kümmerer")
    async with session_scope(env.services.session_maker) as session:
        case_id = await session.scalar(select(Case.id).where(Case.reference == reference))
    await manager.press_data(f"tr:resolve:{case_id}")
    await manager.send("Done.")
    await manager.press("Yes, resolve")
    before = await _state(env)
    answer = await mallory.press_data(f"fb:set:{case_id}:no")
    assert answer is not None and "not allowed" in (answer.text or "")
    assert await _state(env) == before
    # replaying the resident's own answer twice changes the case once
    await erika.press("No")
    after_first = await _state(env)
    await erika.press_data(f"fb:set:{case_id}:no")
    assert await _state(env) == after_first


async def test_staff_commands_refused_for_residents(env: BotEnv) -> None:
    mallory = env.sim.user(3005, language_code="en")
    await consent(mallory)
    for command in (
        "/faelle",
        "/antwort 10-2026-0001 hi",
        "/einladen manager 10",
        "/fall 10-2026-0001",
    ):
        await mallory.send(command)
        assert "not allowed" in mallory.last.plain_text, command
