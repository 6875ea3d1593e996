"""Agreements in chat: the form after a meeting or from a case, the rep's and the manager's
buttons, and the escalation report."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.jobs import run_sweep
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Agreement, AgreementEvent, Case
from tests.conftest import ADMIN_ID, BotEnv
from tests.helpers import bind_role, consent, file_concern

MANAGER, REP, OTHER_REP = 700_010, 700_066, 700_067


async def _agreement(env: BotEnv) -> Agreement:
    async with session_scope(env.services.session_maker) as session:
        row = await session.scalar(select(Agreement).order_by(Agreement.id.desc()))
        assert row is not None
        return row


async def _record(manager: object, *, due: str = "bis Ende März") -> None:
    await manager.send("/vereinbarung")  # type: ignore[attr-defined]
    await manager.press("Department 66")  # type: ignore[attr-defined]
    await manager.send("Two more waste bins at the Küchengarten square.")  # type: ignore[attr-defined]
    await manager.send(due)  # type: ignore[attr-defined]


async def test_form_past_and_nonsense_dates_store_nothing(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    manager = env.sim.user(MANAGER, language_code="en")
    await _record(manager, due="gestern")
    assert "in the past" in manager.last.plain_text
    await manager.send("asdf")
    assert "did not understand" in manager.last.plain_text
    await manager.send("/abbrechen")
    async with session_scope(env.services.session_maker) as session:
        assert await session.scalar(select(Agreement.id)) is None


async def test_whole_life_in_chat(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    await bind_role(env, REP, Role.REP, district="10", department="66")
    await bind_role(env, OTHER_REP, Role.REP, district="09", department="66")
    manager, rep = env.sim.user(MANAGER, language_code="en"), env.sim.user(REP, language_code="en")
    other = env.sim.user(OTHER_REP, language_code="en")
    coordinator = env.sim.user(ADMIN_ID, language_code="en")
    await coordinator.send("/start")

    await _record(manager)
    assert "Tue, 31 Mar 2026" in manager.last.plain_text  # "bis Ende März", with weekday
    await manager.press("Yes")
    await manager.press("Public space")
    await manager.press("New action plan")
    await manager.send("Calm the Küchengarten square")
    await manager.press("Save")
    agreement = await _agreement(env)
    assert agreement.status == "open" and agreement.action_plan_id is not None
    assert "waste bins" in rep.last.plain_text  # told at once, with its buttons
    assert len(rep.buttons()) == 3  # done, more time, problem

    # a rep of the same department in another district may not act on it
    await other.send("/start")
    answer = await other.press_data(f"ag:done:{agreement.id}")
    assert answer is not None and "not allowed" in (answer.text or "")

    # the rep asks for more time; the manager rejects it
    await rep.press_data(f"ag:more:{agreement.id}")
    await rep.send("bis Mitte April")
    assert "Wed, 15 Apr 2026" in rep.last.plain_text
    await rep.press("Yes")
    await rep.send("The bins must be ordered first.")
    assert (await _agreement(env)).status == "extension_requested"
    await manager.press_data(f"ag:reject:{agreement.id}")
    assert (await _agreement(env)).status == "open"

    # days pass without anything done: nudges, then the escalation to the manager and on
    levels = []
    for _ in range(45 * 4):  # six-hourly sweeps until late April (Easter holidays between)
        env.clock.advance(timedelta(hours=6))
        await run_sweep(env.app)
        levels.append((await _agreement(env)).escalation_level)
    assert levels[0] == 0 and 1 in levels and levels[-1] == 2  # manager first, then on
    assert any("ag:escalate:" in str(m.reply_markup) for m in env.api.sent[MANAGER])
    nudges = [m for m in rep.messages if "Agreement #" in m.plain_text]
    assert len(nudges) >= 5  # made, 7 days and 1 day before, due day, overdue ...
    assert any("Agreement #" in m.plain_text for m in coordinator.messages)

    # finally done, and the manager confirms
    await rep.press_data(f"ag:done:{agreement.id}")
    await rep.send("Both bins are in place since this morning.")
    assert (await _agreement(env)).status == "done_reported"
    assert "Both bins are in place" in manager.last.plain_text
    await manager.press_data(f"ag:confirm:{agreement.id}")
    agreement = await _agreement(env)
    assert agreement.status == "done" and agreement.confirmed_at is not None
    async with session_scope(env.services.session_maker) as session:
        kinds = [
            e.kind
            for e in await session.scalars(
                select(AgreementEvent)
                .where(AgreementEvent.agreement_id == agreement.id)
                .order_by(AgreementEvent.id)
            )
        ]
    assert kinds[0] == "created" and kinds[-2:] == ["done_reported", "confirmed"]
    assert "extension_requested" in kinds and "escalated" in " ".join(kinds)

    await coordinator.send("/eskalationen")
    assert "No escalated agreements" in coordinator.last.plain_text  # done ones drop out


async def test_agreement_from_a_kuemmerer_case_and_report(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    erika, manager = (
        env.sim.user(1201, language_code="en"),
        env.sim.user(MANAGER, language_code="en"),
    )
    await consent(erika)
    reference = await file_concern(erika)
    await manager.press("Kümmerer")
    await manager.press("Agreement with a department")
    await manager.press("Department 67")
    await manager.send("Clean the square twice a week.")
    await manager.send("30.6.")
    await manager.press("Yes")
    await manager.press("No action plan")
    await manager.press("Save")
    agreement = await _agreement(env)
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
    assert agreement.case_id == case.id and agreement.topic == case.topic
    assert any("No representative" in text for text in manager.texts())  # FB 67: nobody bound
    await manager.send("/vereinbarungen")
    assert "Clean the square" in manager.last.plain_text
    env.clock.advance(days=120)
    for _ in range(3):
        await run_sweep(env.app)
    await manager.send("/eskalationen")
    document = env.api.sent[MANAGER][-1].document
    assert document is not None and b"Clean the square" in document.content
