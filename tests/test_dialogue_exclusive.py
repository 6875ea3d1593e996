"""Only the dialogue a person began last waits for their text: starting one ends the others,
so an answer meant for the new dialogue never lands in an older one (e.g. as a case note)."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.db import session_scope
from bot.storage.models import CaseEvent
from tests.conftest import BotEnv
from tests.test_triage_dialogues import _manager, _taken_on


async def _notes(env: BotEnv, case_id: int) -> list[str]:
    async with session_scope(env.services.session_maker) as session:
        rows = await session.scalars(
            select(CaseEvent.text).where(CaseEvent.case_id == case_id, CaseEvent.kind == "note")
        )
        return [text or "" for text in rows]


async def test_a_new_concern_ends_the_waiting_note_de(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    _reference, case_id = await _taken_on(env, manager)
    await manager.press_data(f"tr:note:{case_id}")
    assert "interne Notiz" in manager.last.plain_text

    await manager.send("/start")
    await manager.press("Ich stimme zu")
    await manager.send("/neu")
    await manager.send("Linden-Süd")
    answer = manager.last.plain_text
    assert "Linden-Süd" in answer and "Notiz" not in answer
    assert await _notes(env, case_id) == []

    # the note is not waiting any more after the intake is cancelled either
    await manager.send("/abbrechen")
    await manager.send("Mit FB 32 telefoniert.")
    assert await _notes(env, case_id) == []


async def test_the_note_begun_last_takes_the_text_en(env: BotEnv) -> None:
    manager = await _manager(env, "en")
    _reference, case_id = await _taken_on(env, manager)
    await manager.press("Agreement with a department")
    await manager.press("Department 67 – Umwelt und Stadtgrün")  # the form waits for the measure …
    measure_prompt = manager.last.plain_text
    await manager.press_data(f"tr:note:{case_id}")  # … but the manager writes a note first
    await manager.send("Called FB 32.")
    assert await _notes(env, case_id) == ["Called FB 32."]
    assert "Note saved" in manager.last.plain_text, measure_prompt
