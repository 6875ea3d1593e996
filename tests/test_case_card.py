"""The case card: the actions a case's state allows, shown again after every action (in place
of the pressed message), buttons on older messages answered with the current state, the
confirmations before reopening and resolving, and the history in the reader's language."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.delivery import flush_outbox
from bot.offline.simulator import SimUser
from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.agreements import workflow as agreements
from bot.storage.db import session_scope
from bot.storage.models import Case, CaseEvent, Person
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent, file_concern, reference_in

MANAGER, DEPUTY = 700_010, 700_012
NEW_DE = [
    "🧭 Lotse (vermitteln)",
    "🤝 Kümmerer (übernehmen)",
    "❓ Einwohner/in fragen",
    "↪️ Anderer Stadtbezirk",
    "📜 Verlauf",
]
CARETAKER_DE = [
    "📝 Notiz",
    "📅 Nächster Schritt",
    "🏛 Fachbereich einbeziehen",
    "💬 Nachricht an Einwohner/in",
    "❓ Einwohner/in fragen",
    "📑 Vereinbarung mit einem Fachbereich",
    "🧭 Stattdessen vermitteln",
    "✅ Erledigen",
    "📜 Verlauf",
]
CLOSED_DE = ["↩️ Als Kümmerer wieder öffnen", "📜 Verlauf"]


async def _manager(
    env: BotEnv, language: str, telegram_id: int = MANAGER, role: Role = Role.MANAGER
) -> SimUser:
    await bind_role(env, telegram_id, role, district="10", first_name="Maria")
    async with session_scope(env.services.session_maker) as session:
        await session.execute(
            update(Person).where(Person.telegram_id == telegram_id).values(language=language)
        )
    assert env.sim is not None
    return env.sim.user(telegram_id, first_name="Maria", language_code=language)


async def _german_concern(
    env: BotEnv, text: str = "Am Küchengarten liegt jeden Morgen Müll."
) -> tuple[SimUser, str, int]:
    """Erika tells a concern in German (agreeing to the privacy notice the first time)."""
    assert env.sim is not None
    erika = env.sim.user(1401, first_name="Erika", language_code="de")
    if not erika.messages:
        await erika.send("/start")
        await erika.press("Ich stimme zu")
    await erika.send("/neu")
    await erika.send("linden sued")
    await erika.press("Ja")
    await erika.press("Öffentlicher Raum")
    await erika.send(text)
    await erika.press("Ohne weitere Fotos fortfahren")
    await erika.press("Überspringen")
    await erika.press("Nein, privat")
    await erika.press("Senden")
    reference = reference_in(erika.last.plain_text)
    return erika, reference, (await _case(env, reference)).id


async def _case(env: BotEnv, reference: str) -> Case:
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        return case


async def _kinds(env: BotEnv, case_id: int) -> list[str]:
    async with session_scope(env.services.session_maker) as session:
        rows = await session.scalars(
            select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
        return list(rows)


# --- German -----------------------------------------------------------------------------------
async def test_fall_shows_the_card_with_the_actions_of_each_state(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    _, reference, _ = await _german_concern(env)
    await manager.send(f"/fall {reference}")
    card = manager.last
    text = card.plain_text
    assert text.startswith(f"Anliegen {reference}\nWo: Linden-Süd, Stadtbezirk Linden-Limmer")
    for line in (
        "Handlungsfeld: Öffentlicher Raum",
        "Eingegangen: Mi, 11.03.2026, 10:00",
        "Status: neu",
        "Kontakt der Einwohnerin/des Einwohners: keine",
        "Sprache der Einwohnerin/des Einwohners: Deutsch",
        "\n\nAm Küchengarten liegt jeden Morgen Müll.",
    ):
        assert line in text, line
    assert manager.buttons(card) == NEW_DE

    await manager.press("Kümmerer", message=card)  # the card itself turns into the new one
    assert card.plain_text.startswith(
        f"Sie sind Kümmerer für {reference}. Wie geht es weiter?\n\nAnliegen {reference}"
    )
    assert "Status: in Bearbeitung\nKümmerer: Maria" in card.plain_text
    assert manager.buttons(card) == CARETAKER_DE

    await manager.press("Einwohner/in fragen", message=card)
    await manager.send("Seit wann liegt der Müll dort?")
    waiting = manager.last  # typed input: confirmation and a fresh card below
    assert waiting.plain_text.startswith(
        f"Die Frage zu {reference} wurde an die Einwohnerin/den Einwohner gesendet."
    )
    assert "Status: wartet auf die Einwohnerin/den Einwohner" in waiting.plain_text
    assert "Wartet auf die Antwort auf: Seit wann liegt der Müll dort?" in waiting.plain_text
    assert manager.buttons(waiting) == CARETAKER_DE
    assert manager.buttons(card) == []  # the older card gave its buttons to the fresh one

    # a second report of the same matter, merged into the first
    _, second, _ = await _german_concern(env, "Wieder Müll am Küchengarten.")
    await manager.press(f"Mit {reference} zusammenführen")
    merged = manager.last
    assert merged.plain_text.startswith(f"{second} wurde mit {reference} zusammengeführt.")
    assert "Status: zusammengeführt\nZusammengeführt mit " + reference in merged.plain_text
    assert manager.buttons(merged) == [f"🔎 {reference} öffnen", "📜 Verlauf"]
    await manager.press(f"{reference} öffnen", message=merged)
    assert manager.last.plain_text.startswith(f"Anliegen {reference}\n")
    assert manager.last.message_id != merged.message_id  # the merged case's card stays
    assert manager.buttons() == CARETAKER_DE


async def test_after_every_action_the_card_comes_again_with_its_buttons(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    erika, reference, case_id = await _german_concern(env)
    notification = manager.last
    await manager.press("Kümmerer", message=notification)
    assert notification.plain_text.startswith(f"Sie sind Kümmerer für {reference}.")
    assert manager.buttons(notification) == CARETAKER_DE
    assert "Ihr Anliegen " + reference + " ist jetzt: in Bearbeitung." in erika.last.plain_text

    await manager.press("Notiz", message=notification)
    await manager.send("Mit FB 67 telefoniert.")
    card = manager.last
    assert card.plain_text.startswith(f"Notiz zu {reference} gespeichert.\n\nAnliegen {reference}")
    assert manager.buttons(card) == CARETAKER_DE and manager.buttons(notification) == []

    # a choice takes the card's place, with the way back; the choice is confirmed in place
    await manager.press("Fachbereich einbeziehen", message=card)
    assert card.plain_text == "Welchen Fachbereich beziehen Sie ein?"
    assert manager.buttons(card)[-1] == "⬅️ Zurück zum Anliegen"
    await manager.press("Zurück zum Anliegen", message=card)
    assert card.plain_text.startswith(f"Anliegen {reference}\n")
    await manager.press("Fachbereich einbeziehen", message=card)
    await manager.press("Fachbereich 67", message=card)
    assert card.plain_text.startswith(
        f"Fachbereich 67 – Umwelt und Stadtgrün ist in {reference} einbezogen."
    )
    assert "Beteiligte Fachbereiche: Fachbereich 67 – Umwelt und Stadtgrün" in card.plain_text
    assert manager.buttons(card) == CARETAKER_DE

    await manager.press("Nächster Schritt", message=card)
    await manager.send("Ortstermin mit FB 67")
    await manager.send("bis Freitag")
    question = manager.last
    await manager.press("Ja", message=question)  # the question becomes the fresh card
    assert question.plain_text.startswith(
        "Nächster Schritt gespeichert, fällig am Fr, 13.03.2026."
    )
    assert "Nächster Schritt: Ortstermin mit FB 67 – fällig am Fr, 13.03.2026" in (
        question.plain_text
    )
    assert manager.buttons(question) == CARETAKER_DE and manager.buttons(card) == []

    await manager.press("Nachricht an Einwohner/in", message=question)
    await manager.send("Wir kümmern uns darum.")
    assert "Wir kümmern uns darum." in erika.last.plain_text
    assert manager.last.plain_text.startswith(f"Die Nachricht zu {reference} wurde an")
    assert manager.buttons() == CARETAKER_DE
    # a reply to the fresh card reaches the resident, like one to the notification
    await manager.reply_to(manager.last, "Der Ortstermin ist am Freitag.")
    assert "Der Ortstermin ist am Freitag." in erika.last.plain_text
    assert (await _kinds(env, case_id))[-2:] == ["message_to_resident", "message_to_resident"]


async def test_kuemmerer_on_the_notification_after_a_referral_shows_the_state(
    env: BotEnv,
) -> None:
    manager = await _manager(env, "de")
    erika, reference, case_id = await _german_concern(env, "Wer ist für unseren Bezirk da?")
    notification = manager.last
    await manager.send(f"/fall {reference}")  # referred from the card, not the notification
    card = manager.last
    await manager.press("Lotse", message=card)
    await manager.press("Im Verzeichnis suchen", message=card)
    await manager.send("Bezirksmanagement")
    await manager.press(manager.buttons()[0])
    await manager.press("Ohne eigenen Satz senden")
    assert (await _case(env, reference)).status == "referred"
    referred = manager.last
    assert referred.plain_text.startswith(f"Vermittelt. Das Anliegen {reference} ist als")
    assert "Status: weitergeleitet (Lotse)\nLotse: vermittelt an " in referred.plain_text
    assert manager.buttons(referred) == CLOSED_DE

    before = len(erika.messages)
    answer = await manager.press("Kümmerer", message=notification)  # as if nothing happened
    assert answer is not None and answer.text == (
        f"Schon erledigt: {reference} – Stand: weitergeleitet (Lotse). "
        "Die Knöpfe zeigen jetzt, was möglich ist."
    )
    assert manager.buttons(notification) == CLOSED_DE  # the old message is up to date now
    assert notification.plain_text.startswith(f"Neues Anliegen {reference}")  # its text stays
    assert (await _case(env, reference)).status == "referred"
    assert "taken_on" not in await _kinds(env, case_id) and len(erika.messages) == before
    # the contact list of the referral is as old: its buttons are answered the same way
    answer = await manager.press_data(f"tr:refsend:{case_id}:bezirksmanagement", message=card)
    assert answer is not None and (answer.text or "").startswith("Schon erledigt")


async def test_reopening_a_referred_case_asks_first(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    erika, reference, case_id = await _german_concern(env)
    await manager.press("Lotse")
    await manager.press("Im Verzeichnis suchen")
    await manager.send("Bezirksmanagement")
    await manager.press(manager.buttons()[0])
    await manager.press("Ohne eigenen Satz senden")
    card = manager.last

    await manager.press("Als Kümmerer wieder öffnen", message=card)
    assert card.plain_text == (
        f"{reference} als Kümmerer wieder öffnen? "
        "Die Einwohnerin/der Einwohner hat bereits einen Kontakt erhalten."
    )
    assert manager.buttons(card) == ["↩️ Ja, wieder öffnen", "Abbrechen"]
    assert (await _case(env, reference)).status == "referred"  # nothing yet
    await manager.press("Abbrechen", message=card)
    assert card.plain_text.startswith(f"Anliegen {reference}\n")
    assert manager.buttons(card) == CLOSED_DE
    assert (await _case(env, reference)).status == "referred"

    await manager.press("Als Kümmerer wieder öffnen", message=card)
    await manager.press("Ja, wieder öffnen", message=card)
    case = await _case(env, reference)
    assert (case.status, case.mode, case.closed_at) == ("in_progress", "kuemmerer", None)
    assert card.plain_text.startswith(f"{reference} ist wieder offen; Sie sind Kümmerer.")
    assert manager.buttons(card) == CARETAKER_DE
    assert f"Ihr Anliegen {reference} ist jetzt: in Bearbeitung." in erika.last.plain_text
    assert (await _kinds(env, case_id))[-1] == "reopened_by_manager"
    # the question pressed a second time (an older copy): answered with the state
    answer = await manager.press_data(f"tr:reopenok:{case_id}")
    assert answer is not None and "Stand: in Bearbeitung" in (answer.text or "")
    assert (await _kinds(env, case_id)).count("reopened_by_manager") == 1


async def test_resolving_shows_what_the_resident_reads_first(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    assert env.sim is not None
    sam = env.sim.user(1402, language_code="en")  # the resident reads English
    await consent(sam)
    reference = await file_concern(sam)
    await manager.press("Kümmerer")
    card = manager.last
    await manager.press("Erledigen", message=card)
    await manager.send("Der Platz wird jetzt zweimal pro Woche gereinigt.")
    preview = manager.last
    assert preview.plain_text == (
        f"{reference} erledigen? Die Einwohnerin/der Einwohner liest:\n\n"
        f"Your concern {reference} has been resolved:\n"
        "Der Platz wird jetzt zweimal pro Woche gereinigt.\n\nIs your concern settled?"
    )
    assert manager.buttons(preview) == ["✅ Ja, erledigen", "✏️ Ändern", "Abbrechen"]
    before = len(sam.messages)

    await manager.press("Ändern", message=preview)
    assert manager.last.plain_text.startswith(f"Fassen Sie die Lösung zu {reference} kurz")
    await manager.send("Cleaned twice a week from now on.")
    await manager.press("Abbrechen")
    assert manager.last.plain_text.startswith(
        f"Nicht erledigt; an die Einwohnerin/den Einwohner von {reference} wurde nichts "
        "gesendet.\n\nAnliegen"
    )
    assert manager.buttons() == CARETAKER_DE
    assert (await _case(env, reference)).status == "in_progress"
    assert len(sam.messages) == before

    await manager.press("Erledigen")
    await manager.send("Cleaned twice a week from now on.")
    sim = await env.restart()  # the preview waits in the persistent conversation
    manager = sim.user(MANAGER)
    await manager.press("Ja, erledigen")
    assert (await _case(env, reference)).status == "resolved"
    assert manager.last.plain_text.startswith(f"{reference} ist erledigt.")
    assert "Status: erledigt" in manager.last.plain_text
    assert manager.buttons() == CLOSED_DE
    assert sam.last.plain_text.startswith(f"Your concern {reference} has been resolved:")
    assert "Cleaned twice a week from now on." in sam.last.plain_text
    assert len(sam.messages) == before + 1


async def test_the_history_names_due_dates_departments_and_agreements(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    _, reference, case_id = await _german_concern(env)
    await manager.press("Kümmerer")
    card = manager.last
    await manager.press("Fachbereich einbeziehen", message=card)
    await manager.press("Fachbereich 67", message=card)
    await manager.press("Nächster Schritt", message=card)
    await manager.send("Ortstermin mit FB 67")
    await manager.send("in zwei Wochen")
    await manager.press("Ja")
    async with session_scope(env.services.session_maker) as session:
        maria = await people.get_person(session, telegram_id=MANAGER)
        assert maria is not None
        await agreements.create_agreement(
            session,
            env.services.env,
            district="10",
            department="67",
            measure="Zwei Mülleimer mehr",
            due=env.clock.now() + timedelta(days=30),
            now=env.clock.now(),
            created_by=maria,
            case_id=case_id,
        )
    assert env.app is not None
    await flush_outbox(env.app)  # the agreement's notice first, then the card
    await manager.send(f"/fall {reference}")
    card = manager.last
    assert (
        "Vereinbarung mit Fachbereich 67 – Umwelt und Stadtgrün: Zwei Mülleimer mehr "
        "(offen, fällig am Fr, 10.04.2026)" in card.plain_text
    )
    await manager.press("Verlauf", message=card)
    history = manager.last.plain_text
    assert history.startswith(f"Verlauf von {reference}\n")
    for line in (
        "Mi, 11.03.2026, 10:00 · Einwohner/in · eingereicht",
        "Mi, 11.03.2026, 10:00 · Stadtbezirksmanager/in Maria · übernommen (Kümmerer)",
        "· Fachbereich beteiligt: Fachbereich 67 – Umwelt und Stadtgrün",
        "· nächster Schritt: fällig am Mi, 25.03.2026\n  Ortstermin mit FB 67",
        "· Maria · Vereinbarung mit Fachbereich 67 – Umwelt und Stadtgrün: vereinbart – "
        "fällig am Fr, 10.04.2026\n  Zwei Mülleimer mehr",
    ):
        assert line in history, line
    for english in ("taken on", "next step", "department involved", "agreement", "due "):
        assert english not in history, english
    assert manager.buttons() == ["Anliegen öffnen"]
    await manager.press("Anliegen öffnen")
    assert manager.last.plain_text.startswith(f"Anliegen {reference}\n")
    assert manager.buttons() == CARETAKER_DE


# --- English ----------------------------------------------------------------------------------
async def test_lotse_after_resolve_and_a_note_on_a_case_closed_meanwhile(env: BotEnv) -> None:
    manager = await _manager(env, "en")
    colleague = await _manager(env, "en", DEPUTY, Role.DEPUTY)  # the district's deputy
    assert env.sim is not None
    sam = env.sim.user(1403, language_code="en")
    await consent(sam)
    reference = await file_concern(sam)
    case_id = (await _case(env, reference)).id
    notification = manager.last
    await manager.send(f"/fall {reference}")
    card = manager.last
    await manager.press("Kümmerer", message=card)
    await manager.press("Note", message=card)  # Maria starts typing a note …

    await colleague.send(f"/fall {reference}")  # … while the deputy resolves the case
    await colleague.press("Resolve")
    await colleague.send("Cleaned up.")
    await colleague.press("Yes, resolve")
    assert (await _case(env, reference)).status == "resolved"

    await manager.send("Called FB 67.")
    assert manager.last.plain_text.startswith(
        f"Already done: {reference} – status: resolved. The buttons now show what is possible."
        f"\n\nConcern {reference}"
    )
    assert manager.buttons() == ["↩️ Reopen as Kümmerer", "📜 History"]
    assert "note" not in await _kinds(env, case_id)

    answer = await manager.press("Lotse", message=notification)
    assert answer is not None and answer.text == (
        f"Already done: {reference} – status: resolved. The buttons now show what is possible."
    )
    assert manager.buttons(notification) == ["↩️ Reopen as Kümmerer", "📜 History"]
    # the reopen question explains what the resident already has
    await manager.press("Reopen as Kümmerer", message=notification)
    assert "The resident has already been told it is resolved." in notification.plain_text


async def test_resolve_needs_the_preview_and_forged_confirmations_do_nothing(
    env: BotEnv,
) -> None:
    manager = await _manager(env, "en")
    assert env.sim is not None
    sam = env.sim.user(1404, language_code="en")
    await consent(sam)
    reference = await file_concern(sam)
    case_id = (await _case(env, reference)).id
    await manager.press("Kümmerer")
    before = len(sam.messages)
    # a confirmation without a preview (forged, or left from an ended input) resolves nothing
    answer = await manager.press_data(f"tr:resolveok:{case_id}")
    assert answer is not None and answer.text == "This button is no longer valid."
    await manager.press("Resolve")
    await manager.send("Bins emptied.")
    preview = manager.last
    assert preview.plain_text.startswith(f"Resolve {reference}? The resident reads:")
    await manager.send("Bins emptied and a new bin put up.")  # typed again instead of "Change"
    second = manager.last
    assert "a new bin put up" in second.plain_text
    assert manager.buttons(second) == ["✅ Yes, resolve", "✏️ Change", "Cancel"]
    assert manager.buttons(preview) == []  # only the newest preview confirms
    answer = await manager.press_data(f"tr:resolveok:{case_id}", message=preview)
    assert answer is not None and answer.text == "This button is no longer valid."
    answer = await manager.press_data(f"tr:resolveok:{case_id + 1}")  # not the previewed case
    assert answer is not None and answer.text == "This button is no longer valid."
    assert (await _case(env, reference)).status == "in_progress" and len(sam.messages) == before
    await manager.press("Yes, resolve", message=second)
    assert (await _case(env, reference)).status == "resolved"
    assert "Bins emptied and a new bin put up." in sam.last.plain_text
    answer = await manager.press_data(f"tr:resolveok:{case_id}", message=second)  # twice
    assert answer is not None and (answer.text or "").startswith("Already done")
    assert (await _kinds(env, case_id)).count("resolved") == 1


async def test_a_case_from_the_list_opens_as_its_card_with_the_history(env: BotEnv) -> None:
    manager = await _manager(env, "en")
    assert env.sim is not None
    sam = env.sim.user(1405, language_code="en")
    await consent(sam)
    reference = await file_concern(sam)
    await manager.press("Kümmerer")
    await manager.press("Involve department")
    await manager.press("Department 67")
    await manager.send("/faelle")
    listing = manager.last
    await manager.press(reference, message=listing)
    card = manager.last
    assert card.message_id != listing.message_id
    assert card.plain_text.startswith(f"Concern {reference}\nWhere: Linden-Süd")
    assert "Departments involved: Department 67 – Umwelt und Stadtgrün" in card.plain_text
    assert "Resident's language: English" in card.plain_text
    assert manager.buttons(card)[-1] == "📜 History"
    await manager.press("History", message=card)
    history = manager.last.plain_text
    assert "Wed, 11 Mar 2026, 10:00 · manager Maria · taken on" in history
    assert "· department involved: Department 67 – Umwelt und Stadtgrün" in history
    await manager.press("Open case")
    assert manager.last.plain_text.startswith(f"Concern {reference}\n")
