"""Conferences and projects read German in German and English in English: labels (kind,
status, answers, fields of action), the queued invitations and reminders, and a queued
reminder follows the language its reader chose after it was queued."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from bot.delivery import flush_outbox
from bot.handlers.conferences import run_planning_reminders
from bot.jobs import run_sweep
from bot.messages.render import unrendered
from bot.offline.simulator import SimUser
from bot.services.access.roles import Role
from bot.services.agreements import planning
from bot.storage.db import session_scope
from bot.storage.models import Person
from tests.conftest import BotEnv
from tests.helpers import bind_role

MANAGER, REP66, REP32, COORDINATOR = 700_100, 700_166, 700_132, 700_150


async def _staff(env: BotEnv, language: str) -> tuple[SimUser, SimUser, SimUser]:
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    await bind_role(env, REP66, Role.REP, district="10", department="66", first_name="Rolf")
    await bind_role(env, REP32, Role.REP, district="10", department="32", first_name="Petra")
    await _set_language(env, language)
    sim = env.sim
    assert sim is not None
    return (
        sim.user(MANAGER, language_code=language),
        sim.user(REP66, language_code=language),
        sim.user(REP32, language_code=language),
    )


async def _set_language(env: BotEnv, language: str, telegram_id: int | None = None) -> None:
    async with session_scope(env.services.session_maker) as session:
        query = update(Person).values(language=language)
        if telegram_id is not None:
            query = query.where(Person.telegram_id == telegram_id)
        await session.execute(query)


async def test_every_planning_intent_has_a_renderer() -> None:
    assert not [kind for kind in unrendered() if kind.startswith(("conference.", "project."))]


async def test_a_conference_in_german(env: BotEnv) -> None:
    manager, rep66, rep32 = await _staff(env, "de")
    await manager.send("/konferenz")
    assert "Wann findet die Stadtbezirkskonferenz in Linden-Limmer statt?" in manager.last.text
    await manager.send("15.4. um 10 Uhr")
    assert "15.04.2026, 10:00" in manager.last.plain_text
    await manager.press("Ja")
    await manager.press("Einladungen senden")
    assert "Einladungen an Fachbereichsvertreter/innen gesendet: 2." in manager.texts()
    overview = manager.last.plain_text
    assert "Stadtbezirkskonferenz Linden-Limmer" in overview
    assert "Status: geplant" in overview
    assert (
        "Noch keine Antwort: Fachbereich 32 (Öffentliche Ordnung?) (Petra), "
        "Fachbereich 66 (Tiefbau?) (Rolf)"
    ) in overview
    assert "Tagesordnung" in overview

    invitation = rep66.last.plain_text
    assert "Einladung: Stadtbezirkskonferenz Linden-Limmer" in invitation
    assert "Fachbereich 66" in invitation
    assert rep66.buttons() == ["Zusagen", "Absagen", "Thema für Tagesordnung vorschlagen"]
    await rep66.press("Zusagen")
    await rep32.press("Absagen")
    assert "Danke, Sie haben abgesagt: Stadtbezirkskonferenz" in rep32.last.plain_text
    assert (
        "Fachbereich 32 (Öffentliche Ordnung?) hat abgesagt: Stadtbezirkskonferenz"
        in manager.last.plain_text
    )
    await manager.send("/konferenzen")
    overview = manager.last.plain_text
    assert "Zugesagt: Fachbereich 66 (Tiefbau?) (Rolf)" in overview
    assert "Abgesagt: Fachbereich 32 (Öffentliche Ordnung?) (Petra)" in overview

    env.clock.set(datetime(2026, 4, 8, 8, 1, tzinfo=UTC))
    assert await run_sweep(env.app) == 1
    assert "Erinnerung, in einer Woche: Stadtbezirkskonferenz" in rep66.last.plain_text
    assert "/konferenzen zeigt, wer kommt." in manager.last.plain_text

    env.clock.set(datetime(2026, 4, 15, 12, 0, tzinfo=UTC))
    await manager.send("/konferenzen")
    await manager.press("Als durchgeführt markieren")
    await manager.send("/konferenzen")
    assert "Status: durchgeführt" in manager.last.plain_text


async def test_the_conference_labels_in_english(env: BotEnv) -> None:
    manager, rep66, _ = await _staff(env, "en")
    await manager.send("/konferenz")
    await manager.send("15.4. um 10 Uhr")
    await manager.press("Yes")
    await manager.press("Send invitations")
    overview = manager.last.plain_text
    assert "District conference Linden-Limmer, Wed, 15 Apr 2026, 10:00" in overview
    assert "Status: planned" in overview
    assert rep66.buttons() == ["Accept", "Decline", "Add agenda topic"]


async def test_the_calendar_in_german(env: BotEnv) -> None:
    await bind_role(env, COORDINATOR, Role.COORDINATOR)
    await _set_language(env, "de")
    sim = env.sim
    assert sim is not None
    coordinator = sim.user(COORDINATOR, language_code="de")
    await coordinator.send("/konferenzen")
    calendar = coordinator.last.plain_text
    assert calendar.startswith("Konferenzkalender aller Stadtbezirke")
    assert "01 Mitte: zuletzt: –, nächste: – ⚠️" in calendar
    await coordinator.send("/projekte")
    counts = coordinator.last.plain_text
    assert counts.startswith("Projekte 2026 nach Stadtbezirk:")
    assert "\n01 Mitte: 0 ⚠️\n" in counts


async def test_a_project_in_german_and_english(env: BotEnv) -> None:
    manager, _, _ = await _staff(env, "de")
    await manager.send("/projekt")
    await manager.send("Stadtteilfest Limmer")
    await manager.press("Kultur und Freizeit")
    await manager.press("Noch keine Partner")
    saved = manager.last.plain_text
    assert saved.startswith("Projekt gespeichert.")
    assert "Handlungsfeld: Kultur und Freizeit" in saved
    assert "Status: geplant" in saved
    await manager.send("/projekte")
    assert "Auf „in Umsetzung“ setzen" in manager.buttons()
    await manager.press("Auf „in Umsetzung“ setzen")
    assert "Status: in Umsetzung" in manager.last.plain_text

    await _set_language(env, "en", MANAGER)
    sim = env.sim
    assert sim is not None
    manager = sim.user(MANAGER, language_code="en")
    await manager.send("/projekte")
    card = manager.last.plain_text
    assert "Topic: Culture and leisure" in card and "Status: running" in card
    assert manager.buttons() == ["Set: planned", "Set: done", "Add note"]


async def test_planning_reminders_in_german(env: BotEnv) -> None:
    manager, _, _ = await _staff(env, "de")
    assert await run_planning_reminders(env.app) == 1
    assert (
        "In Linden-Limmer gab es seit sechs Monaten keine Stadtbezirkskonferenz."
        in manager.last.plain_text
    )
    env.clock.set(datetime(2026, 10, 5, 7, 0, tzinfo=UTC))
    await run_planning_reminders(env.app)
    assert any(
        "Linden-Limmer hat für 2026 noch kein Projekt zur Stadtbezirksentwicklung" in text
        for text in manager.texts()
    )


async def test_a_queued_reminder_follows_the_language_chosen_later(env: BotEnv) -> None:
    manager, _, _ = await _staff(env, "de")
    services = env.services
    async with session_scope(services.session_maker) as session:
        written = await planning.write_six_month_reminders(
            session, services.env, now=services.clock.now()
        )
    assert written == 1
    await _set_language(env, "en", MANAGER)  # after queueing, before delivery
    await flush_outbox(env.app)
    assert "Linden-Limmer has had no district conference for six months" in (
        manager.last.plain_text
    )
