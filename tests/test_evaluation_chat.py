"""/bericht bewertung end to end: the coordination gets the summary sentences and the PDF or
DOCX; a manager, a resident and forged buttons get the refusal. German and English."""

from __future__ import annotations

from sqlalchemy import update

from bot.offline.simulator import SimUser
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Person
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent
from tests.test_evaluation_report import PERSONAL, seed
from tests.test_report_files import pdf_text, pdf_words
from tests.test_reports_chat import REFUSAL, documents, press

COORDINATOR, MANAGER = 700_170, 700_171


async def _staff(env: BotEnv, telegram_id: int, role: Role, language: str) -> SimUser:
    await bind_role(env, telegram_id, role, district="10" if role == Role.MANAGER else None)
    async with session_scope(env.services.session_maker) as session:
        await session.execute(
            update(Person).where(Person.telegram_id == telegram_id).values(language=language)
        )
        if role == Role.COORDINATOR:
            await seed(session)
    assert env.sim is not None
    return env.sim.user(telegram_id, language_code=language)


async def test_coordinator_gets_the_evaluation_in_english(env: BotEnv) -> None:
    coordinator = await _staff(env, COORDINATOR, Role.COORDINATOR, "en")
    await coordinator.send("/bericht evaluation 2026")
    summary = coordinator.last.plain_text
    assert summary.startswith("Evaluation 2026")
    assert (
        "The first response came within 2 working days in 90% of the cases (target 90%, "
        "previous year 80%). Target met."
    ) in summary
    assert coordinator.buttons() == ["PDF", "Word (DOCX)"]
    [(name, pdf)] = documents(await press(coordinator, "PDF"))
    assert name == "evaluation_2026_alle.pdf" and pdf.startswith(b"%PDF-")
    [(name, docx)] = documents(await press(coordinator, "Word (DOCX)"))
    assert name == "evaluation_2026_alle.docx" and docx.startswith(b"PK")
    text = pdf_text(pdf)
    for secret in PERSONAL:
        assert secret.encode() not in text


async def test_koordination_erhaelt_die_auswertung_auf_deutsch(env: BotEnv) -> None:
    coordinator = await _staff(env, COORDINATOR, Role.COORDINATOR, "de")
    await coordinator.send("/bericht bewertung 2026")
    summary = coordinator.last.plain_text
    assert summary.startswith("Auswertung 2026")
    assert (
        "Die erste Reaktion kam in 90\xa0% der Fälle innerhalb von 2 Arbeitstagen "
        "(Ziel 90\xa0%, Vorjahr 80\xa0%). Ziel erreicht."
    ) in summary
    assert "In 1 von 13 Bezirken fanden mindestens 2 Stadtbezirkskonferenzen statt" in summary
    [(name, pdf)] = documents(await press(coordinator, "PDF"))
    assert name == "evaluation_2026_alle.pdf"
    assert "Die Stadtbezirke im Vergleich" in pdf_words(pdf)  # drawn in German
    await coordinator.send("/hilfe")
    assert "/bericht [Zeitraum] · /bericht bewertung [Zeitraum]" in coordinator.last.plain_text
    await coordinator.send("/bericht bewertung irgendwann")
    assert coordinator.last.plain_text.startswith("Diesen Zeitraum kenne ich nicht.")


async def test_managers_and_residents_are_refused_also_with_forged_buttons(env: BotEnv) -> None:
    manager = await _staff(env, MANAGER, Role.MANAGER, "en")
    await manager.send("/bericht evaluation 2026")
    assert manager.last.plain_text == REFUSAL
    answer = await manager.press_data("ev:pdf:2026")
    assert answer is not None and REFUSAL in (answer.text or "")
    assert not documents(manager.messages)
    assert env.sim is not None
    resident = env.sim.user(1790, language_code="en")
    await consent(resident)
    await resident.send("/bericht evaluation")
    assert REFUSAL in resident.last.plain_text


async def test_bezirksmanagerin_wird_abgewiesen(env: BotEnv) -> None:
    manager = await _staff(env, MANAGER, Role.MANAGER, "de")
    await manager.send("/bericht bewertung")
    assert manager.last.plain_text == "Das dürfen Sie leider nicht."
    await manager.send("/hilfe")
    assert "bewertung" not in manager.last.plain_text  # the evaluation is the coordination's
    answer = await manager.press_data("ev:docx:2026")
    assert answer is not None and "nicht" in (answer.text or "")
    assert not documents(manager.messages)
