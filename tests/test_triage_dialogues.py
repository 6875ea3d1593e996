"""The manager's typed inputs are one persistent conversation, and every text the manager's
side shows reads German in German and English in English (prompts, /fall history)."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.offline.simulator import SimUser
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Absence, Case, Person
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent, file_concern

MANAGER = 700_010


async def _manager(env: BotEnv, language: str) -> SimUser:
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Anna")
    async with session_scope(env.services.session_maker) as session:
        await session.execute(
            update(Person).where(Person.telegram_id == MANAGER).values(language=language)
        )
    assert env.sim is not None
    return env.sim.user(MANAGER, first_name="Anna", language_code=language)


async def _case(env: BotEnv, reference: str) -> Case:
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        return case


async def _taken_on(env: BotEnv, manager: SimUser) -> tuple[str, int]:
    assert env.sim is not None
    erika = env.sim.user(1201, language_code="en")
    await consent(erika)
    reference = await file_concern(erika)
    await manager.press("Kümmerer")
    return reference, (await _case(env, reference)).id


async def test_prompts_and_history_read_german_in_german(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    reference, case_id = await _taken_on(env, manager)
    assert "Sie sind Kümmerer" in manager.last.plain_text or reference in manager.last.plain_text

    await manager.press_data(f"tr:note:{case_id}")
    prompt = manager.last.plain_text
    assert f"Schreiben Sie die interne Notiz zu {reference}" in prompt
    assert "Type" not in prompt and "/abbrechen" in prompt
    await manager.send("Mit FB 32 telefoniert.")
    await manager.press_data(f"tr:msg:{case_id}")
    assert "Schreiben Sie Ihre Nachricht" in manager.last.plain_text
    await manager.send("Wir kümmern uns.")
    await manager.press_data(f"tr:step:{case_id}")
    assert "nächsten Schritt" in manager.last.plain_text
    await manager.send("Ortstermin mit FB 67")
    await manager.send("bis Freitag")
    assert "Fr, 13.03.2026" in manager.last.plain_text
    await manager.press("Ja")
    await manager.press_data(f"tr:resolve:{case_id}")
    assert "Fassen Sie die Lösung" in manager.last.plain_text
    await manager.send("Beleuchtung installiert.")
    await manager.press("Ja, erledigen")

    await manager.send(f"/fall {reference}")
    assert "Status: erledigt" in manager.last.plain_text
    await manager.press("Verlauf")
    history = manager.last.plain_text
    for label in (
        "übernommen (Kümmerer)",
        "Notiz",
        "Nachricht an die Einwohnerin/den Einwohner",
        "nächster Schritt",
        "erledigt",
    ):
        assert label in history, label
    for english in ("taken on", "next step", "message to resident", "resolved", "taken_on"):
        assert english not in history, english


async def test_prompts_and_history_read_english_in_english(env: BotEnv) -> None:
    manager = await _manager(env, "en")
    reference, case_id = await _taken_on(env, manager)
    await manager.press_data(f"tr:ask:{case_id}")
    assert f"Type your question to the resident of {reference}:" in manager.last.plain_text
    await manager.send("Since when?")
    await manager.press_data(f"tr:note:{case_id}")
    assert "Type the internal note" in manager.last.plain_text
    await manager.send("Called FB 32.")
    await manager.press_data(f"tr:resolve:{case_id}")
    assert "Type a short summary of the solution" in manager.last.plain_text
    await manager.send("Done.")
    await manager.press("Yes, resolve")
    await manager.send(f"/fall {reference}")
    await manager.press("History")
    history = manager.last.plain_text
    for label in ("taken on", "question to the resident", "note", "resolved"):
        assert label in history, label
    assert "taken_on" not in history


async def test_a_restart_in_the_middle_of_the_next_step_loses_nothing(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    reference, case_id = await _taken_on(env, manager)
    await manager.press_data(f"tr:step:{case_id}")
    await manager.send("Ortstermin mit FB 67")

    sim = await env.restart()  # a new Application over the same database
    manager = sim.user(MANAGER)
    await manager.send("bis Freitag")
    assert "Fr, 13.03.2026" in manager.last.plain_text
    sim = await env.restart()
    manager = sim.user(MANAGER)
    await manager.press("Ja")
    case = await _case(env, reference)
    assert case.next_step == "Ortstermin mit FB 67" and case.next_step_due is not None


async def test_abbrechen_leaves_the_input_and_the_text_is_not_used(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    reference, case_id = await _taken_on(env, manager)
    await manager.press_data(f"tr:resolve:{case_id}")
    await manager.send("/abbrechen")
    assert manager.last.plain_text.startswith("Abgebrochen.\n\nAnliegen")  # with the card
    assert "✅ Erledigen" in manager.buttons()
    await manager.send("Das ist keine Lösung.")
    assert (await _case(env, reference)).status == "in_progress"
    await manager.send("/abbrechen")
    assert "Es gibt nichts abzubrechen." in manager.last.plain_text


async def test_a_new_button_restarts_the_input(env: BotEnv) -> None:
    manager = await _manager(env, "en")
    reference, case_id = await _taken_on(env, manager)
    await manager.press_data(f"tr:resolve:{case_id}")
    await manager.press_data(f"tr:note:{case_id}")  # changed their mind
    await manager.send("Only a note.")
    case = await _case(env, reference)
    assert case.status == "in_progress"
    assert "Note saved" in manager.last.plain_text


async def test_absence_confirmation_survives_a_restart(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    await manager.send("/abwesend bis Freitag")
    assert "Fr, 13.03.2026" in manager.last.plain_text
    sim = await env.restart()
    manager = sim.user(MANAGER)
    await manager.press("Ja")
    async with session_scope(env.services.session_maker) as session:
        assert await session.scalar(select(Absence.id)) is not None


async def test_resident_reads_the_contact_card_in_the_language_chosen_after_queueing(
    env: BotEnv,
) -> None:
    """Intents are rendered at delivery: German for a German resident, English once they
    switched, even for a message queued before the switch."""
    from zoneinfo import ZoneInfo

    from bot.delivery import deliver_and_observe, flush_outbox
    from bot.services.access import people
    from bot.services.cases import records, triage
    from bot.services.cases.records import Draft

    await _manager(env, "de")
    assert env.sim is not None and env.app is not None
    erika = env.sim.user(1301, language_code="de")
    services = env.services
    now = env.clock.now()
    async with session_scope(services.session_maker) as session:
        resident = await people.get_or_create_person(
            session, telegram_id=1301, first_name="Erika", language="de", now=now
        )
        draft = Draft(
            district_number="10",
            quarter="Linden-Süd",
            topic="public_space",
            description="Müll auf dem Platz.",
        )
        case = await records.submit_case(
            session,
            draft=draft,
            resident=resident,
            language="de",
            now=now,
            tz=ZoneInfo("Europe/Berlin"),
        )
        manager = await people.get_person(session, telegram_id=MANAGER)
        assert manager is not None
        key = services.reference.referrals[0].key
        relayed = await triage.refer(
            session, services.env, case, manager=manager, contact_key=key, note=None, now=now
        )
        reference = case.reference
    await deliver_and_observe(env.app, relayed.queued)  # as the Lotse handler does
    card = erika.last.plain_text
    assert f"Zu Ihrem Anliegen {reference}: Die richtige Ansprechstelle" in card

    case = await _case(env, reference)
    async with session_scope(services.session_maker) as session:
        case = await session.merge(case)
        manager = await people.get_person(session, telegram_id=MANAGER)
        assert manager is not None
        await triage.take_on(session, services.env, case, manager=manager, now=env.clock.now())
        # queued in German's case language; she switches to English before it is delivered
        await session.execute(
            update(Person).where(Person.telegram_id == 1301).values(language="en")
        )
    await flush_outbox(env.app)
    assert f"Your concern {reference} is now: in progress." in erika.last.plain_text
