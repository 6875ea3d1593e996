"""The network directory end to end through the real Application: a manager adds an office
in the chat, a resident's case is referred to it and the card shows its channels; staff-only
entries never reach residents; stale entries come up for review; edit, confirm and retire."""

from __future__ import annotations

from sqlalchemy import select

from bot.delivery import deliver_and_observe
from bot.jobs import run_sweep
from bot.offline.chats import SimUser
from bot.services.access.roles import Role
from bot.services.network import review
from bot.storage.db import session_scope
from bot.storage.models import Case, NetworkEntry, NetworkReferral, Person
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent, file_concern, reference_in

MANAGER, COORDINATOR = 730_010, 730_099


async def _entry(env: BotEnv, name: str) -> NetworkEntry:
    async with session_scope(env.services.session_maker) as session:
        found = await session.scalar(select(NetworkEntry).where(NetworkEntry.name == name))
    assert found is not None
    return found


async def _manager(env: BotEnv, language: str) -> SimUser:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    assert env.sim is not None
    manager = env.sim.user(MANAGER, first_name="Maria", language_code=language)
    if language == "de":  # the role was bound without a language: choose German
        await manager.send("/sprache")
        await manager.press("Deutsch")
    return manager


async def add_office_en(manager: SimUser, name: str) -> None:
    """The dialogue in English: an office in Linden-Süd with phone and web page."""
    await manager.send("/netzwerk")
    await manager.press("➕ New entry")
    await manager.press("City office")
    await manager.send(name)
    await manager.send("Fachbereich Umwelt und Stadtgrün")
    await manager.press("Public space")
    await manager.press("Done")
    await manager.send("Linden-Süd")
    await manager.send("0511 168-43210")
    await manager.press("⏭ Skip")  # no e-mail
    await manager.send("www.hannover.de/spielplaetze-linden")
    await manager.send("-")  # no address
    await manager.send("-")  # no office hours
    await manager.press("Done")  # both channels for residents (an office's default)
    await manager.send("de, en")
    await manager.press("👥 Residents may get it")
    await manager.send("Ask for Ms Beispiel.")
    await manager.press("💾 Save")


async def add_office_de(manager: SimUser, name: str, *, staff_only: bool = False) -> None:
    """The same in German, with a typing error the dialogue catches."""
    await manager.send("/netzwerk")
    await manager.press("➕ Neuer Eintrag")
    assert manager.last.plain_text.startswith("Was für ein Eintrag ist es?")
    await manager.press("Stelle der Stadt")
    await manager.send(name)
    await manager.send("-")
    await manager.press("Öffentlicher Raum")
    await manager.press("Fertig")
    await manager.send("Linden-Süd")
    await manager.send("12345")  # not a phone number: asked again
    assert manager.last.plain_text.startswith("„12345“ ist keine gültige Telefonnummer.")
    await manager.send("0511 168-47110")
    await manager.send("linden@example")  # not an e-mail address
    assert "keine gültige E-Mail-Adresse" in manager.last.plain_text
    await manager.send("spielplatz.linden@hannover-stadt.de")
    await manager.send("www.hannover.de/linden")
    await manager.send("Am Lindener Berge 27, 30449 Hannover")
    await manager.send("immer")  # no days or times
    assert "Tage und Uhrzeiten" in manager.last.plain_text
    await manager.send("Di 10–12 Uhr")
    assert "✅ Telefon" in manager.buttons()
    await manager.press("✅ E-Mail")  # the e-mail address is for staff only
    await manager.press("Fertig")
    await manager.send("-")
    await manager.press(
        "🔒 Nur für Mitarbeitende" if staff_only else "👥 Für Bürgerinnen und Bürger"
    )
    await manager.send("-")
    summary = manager.last.plain_text
    assert (
        summary.startswith("Bitte prüfen Sie den Eintrag:")
        and "Telefon: 0511 168-47110 👥" in summary
    )
    assert "E-Mail: spielplatz.linden@hannover-stadt.de\n" in summary + "\n"
    await manager.press("💾 Speichern")
    assert manager.last.plain_text.startswith(f"Gespeichert: {name}.")


async def test_manager_adds_an_office_and_the_residents_card_shows_its_channels(
    env: BotEnv,
) -> None:
    manager = await _manager(env, "en")
    assert env.sim is not None
    erika = env.sim.user(1201, language_code="en")
    await add_office_en(manager, "Playground office Linden")
    assert "Saved: Playground office Linden" in manager.last.plain_text
    entry = await _entry(env, "Playground office Linden")
    assert entry.districts == ["10"] and entry.quarters == ["Linden-Süd"]
    assert entry.resident_channels == ["phone", "web"] and entry.confirmed_at is not None

    await consent(erika)
    reference = await file_concern(erika, text="The swings on the playground are broken.")
    await manager.press("Lotse")
    # the case's topic and quarter first: the new local office heads the list
    assert manager.buttons()[0] == "Playground office Linden"
    await manager.press("Playground office Linden")
    assert "⚠️" not in manager.last.plain_text  # it has a phone for residents
    await manager.press("Send without a sentence")
    card = erika.last.plain_text
    assert "Playground office Linden" in card and reference in card
    assert "Phone: 0511 168-43210" in card
    assert "Web: www.hannover.de/spielplaetze-linden" in card
    assert "Ms Beispiel" not in card  # staff notes stay with staff

    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None and case.referral_key == entry.key
        referrals = list(await session.scalars(select(NetworkReferral)))
    assert [(r.entry_id, r.case_id) for r in referrals] == [(entry.id, case.id)]
    env.clock.advance(days=5, hours=2)  # the follow-up: did the contact help?
    assert env.app is not None and await run_sweep(env.app) == 1
    await erika.press("Yes, it helped")
    await manager.send("/netzwerk Playgrund")  # a typo: fuzzy
    await manager.press("Playground office Linden")
    shown = manager.last.plain_text
    assert "Referred 1 time · helped: 1, did not help: 0" in shown
    assert "Phone: 0511 168-43210 👥" in shown and "Notes for staff: Ask for Ms Beispiel." in shown


async def test_manager_adds_an_office_in_german_and_the_card_shows_only_resident_channels(
    env: BotEnv,
) -> None:
    manager = await _manager(env, "de")
    assert env.sim is not None
    erika = env.sim.user(1202, language_code="de")
    await add_office_de(manager, "Spielplatzbüro Linden")
    await erika.send("/start")
    await erika.press("✅ Ich stimme zu")
    await erika.send("/neu")
    await erika.send("linden sued")
    await erika.press("Ja")
    await erika.press("Öffentlicher Raum")
    await erika.send("Die Schaukel auf dem Spielplatz ist kaputt.")
    await erika.press("Ohne weitere Fotos fortfahren")
    await erika.press("Überspringen")
    await erika.press("Nein, privat")
    await erika.press("Senden")
    reference = reference_in(erika.last.plain_text)
    await manager.press("Lotse")
    await manager.press("Im Verzeichnis suchen")
    await manager.send("Spielplatzbuero")  # umlaut typed as ue
    await manager.press("Spielplatzbüro Linden")
    await manager.send("Bitte rufen Sie vormittags an.")
    card = erika.last.plain_text
    assert reference in card and "Spielplatzbüro Linden" in card
    assert "Telefon: 0511 168-47110" in card and "Internet: www.hannover.de/linden" in card
    assert "Adresse: Am Lindener Berge 27, 30449 Hannover" in card
    assert "Öffnungszeiten: Di 10–12 Uhr" in card and "Bitte rufen Sie vormittags an." in card
    assert "spielplatz.linden@" not in card  # the e-mail was not marked for residents


async def test_a_staff_only_entry_never_reaches_a_resident(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    assert env.sim is not None
    erika = env.sim.user(1203, language_code="en")
    await add_office_de(manager, "Internes Spielplatzteam", staff_only=True)
    entry = await _entry(env, "Internes Spielplatzteam")
    assert entry.visibility == "staff"
    await manager.send("/netzwerk Spielplatzteam")  # staff find it
    await manager.press("Internes Spielplatzteam")
    assert "🔒 Nur für Mitarbeitende" in manager.last.plain_text

    await consent(erika)
    reference = await file_concern(erika, text="The playground needs a new sandpit.")
    await manager.press("Lotse")
    assert "Internes Spielplatzteam" not in manager.buttons()
    await manager.press("Im Verzeichnis suchen")
    await manager.send("Spielplatzteam")
    assert "Internes Spielplatzteam" not in manager.buttons()
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
    assert case is not None
    # a forged referral button naming the staff-only entry is refused, nothing is sent
    await manager.press_data(f"tr:ref:{case.id}:{entry.key}")
    await manager.press_data(f"tr:refsend:{case.id}:{entry.key}")
    async with session_scope(env.services.session_maker) as session:
        case = await session.get(Case, case.id)
        assert case is not None and case.status == "new"
        assert not list(await session.scalars(select(NetworkReferral)))
    seen = "\n".join(m.plain_text for m in erika.messages)
    assert "Spielplatzteam" not in seen and "47110" not in seen


async def test_a_stale_entry_appears_for_review_confirm_and_retire(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    await add_office_de(manager, "Stadtteiltreff Linden-Süd")
    await manager.send("/netzwerk pruefen")
    assert manager.last.plain_text == "Zurzeit muss kein Eintrag geprüft werden. Vielen Dank!"

    env.clock.advance(days=400)  # more than 12 months without a confirmation
    async with session_scope(env.services.session_maker) as session:
        due = await review.stale_entry_for_review(session, ["10"], env.clock.now())
        other = await review.stale_entry_for_review(session, ["06"], env.clock.now())
    assert due is not None and due.name == "Stadtteiltreff Linden-Süd" and other is None
    await manager.send("/heute")  # the day ends with the one entry to review
    assert manager.last.plain_text.startswith("Bitte prüfen Sie diesen Eintrag")
    assert "Stadtteiltreff Linden-Süd" in manager.last.plain_text
    await manager.send("/netzwerk pruefen")
    shown = manager.last.plain_text
    assert shown.startswith("Bitte prüfen Sie diesen Eintrag: seit 12 Monaten oder länger")
    assert "Stadtteiltreff Linden-Süd" in shown and "Zuletzt bestätigt: Mi, 11.03.2026" in shown
    await manager.press("✅ Stimmt noch")
    assert "Bestätigt: Stadtteiltreff Linden-Süd" in manager.messages[-2].plain_text
    assert manager.last.plain_text.startswith("Zurzeit muss kein Eintrag geprüft werden")
    assert (await _entry(env, "Stadtteiltreff Linden-Süd")).confirmed_at == env.clock.now()

    await manager.send("/netzwerk Stadtteiltreff")
    await manager.press("Stadtteiltreff Linden-Süd")
    await manager.press("🗄 Stilllegen")
    await manager.press("Ja, stilllegen")
    assert manager.last.plain_text == "Stillgelegt: Stadtteiltreff Linden-Süd."
    await manager.send("/netzwerk Stadtteiltreff")
    assert "Stadtteiltreff Linden-Süd" not in manager.buttons()


async def test_edit_keeps_what_is_skipped_and_changes_what_is_typed(env: BotEnv) -> None:
    manager = await _manager(env, "de")
    await add_office_de(manager, "Nachbarschaftsladen")
    await manager.send("/netzwerk Nachbarschaftsladen")
    await manager.press("Nachbarschaftsladen")
    await manager.press("✏️ Bearbeiten")
    await manager.press("Stelle der Stadt")
    assert "Bisher: Nachbarschaftsladen (⏭ behält es)" in manager.last.plain_text
    await manager.press("⏭ Überspringen")  # name
    await manager.press("⏭ Überspringen")  # role
    await manager.press("Fertig")  # the topics as they are
    await manager.press("⏭ Überspringen")  # where
    await manager.send("0511 168-40000")  # a new phone number
    for _ in range(4):  # e-mail, web, address, office hours
        await manager.press("⏭ Überspringen")
    await manager.press("Fertig")
    await manager.press("⏭ Überspringen")  # languages
    await manager.press("👥 Für Bürgerinnen und Bürger")
    await manager.press("⏭ Überspringen")  # notes
    await manager.press("💾 Speichern")
    entry = await _entry(env, "Nachbarschaftsladen")
    assert entry.phone == "0511 168-40000" and entry.web == "www.hannover.de/linden"
    assert entry.quarters == ["Linden-Süd"] and entry.topics == ["public_space"]


async def test_another_districts_manager_and_residents_cannot_change_entries(env: BotEnv) -> None:
    manager = await _manager(env, "en")
    await add_office_en(manager, "Playground office Linden")
    entry = await _entry(env, "Playground office Linden")
    await bind_role(env, 730_006, Role.MANAGER, district="06")
    assert env.sim is not None
    other, erika = (
        env.sim.user(730_006, language_code="en"),
        env.sim.user(1204, language_code="en"),
    )
    await consent(erika)
    await other.send("/netzwerk Playground")  # city-wide entries only, not district 10's
    assert "Playground office Linden" not in other.buttons()
    for user in (other, erika):
        for data in (f"net:ok:{entry.id}", f"net:retok:{entry.id}", f"net:e:{entry.id}"):
            answer = await user.press_data(data)
            assert answer is not None and "not allowed" in (answer.text or "")
    await erika.send("/netzwerk")
    assert "not allowed" in erika.last.plain_text
    after = await _entry(env, "Playground office Linden")
    assert after.retired_at is None and after.confirmed_at == entry.confirmed_at


async def test_a_corrected_shipped_entry_reaches_the_resident_in_its_new_words(
    env: BotEnv,
) -> None:
    """The shipped names are translated by key; once staff correct an entry, its own words."""
    from bot.services.cases import triage
    from bot.services.network import entries

    await bind_role(env, COORDINATOR, Role.COORDINATOR)
    assert env.sim is not None
    erika = env.sim.user(1205, language_code="en")
    await consent(erika)
    reference = await file_concern(erika)
    async with session_scope(env.services.session_maker) as session:
        entry = await entries.by_key(session, "street_damage")
        coordinator = await session.scalar(select(Person).where(Person.telegram_id == COORDINATOR))
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert entry is not None and coordinator is not None and case is not None
        data = entries.data_of(entry)
        data.name = "Fachbereich Tiefbau – Straßenschäden"
        data.phone, data.resident_channels = "0511 168-44444", ["phone"]
        await entries.update(session, entry, data, now=env.clock.now(), by=coordinator)
        relayed = await triage.refer(
            session,
            env.services.env,
            case,
            manager=coordinator,
            contact_key="street_damage",
            note=None,
            now=env.clock.now(),
        )
    assert env.app is not None
    await deliver_and_observe(env.app, relayed.queued)  # as the Lotse handler does
    card = erika.last.plain_text
    assert "Fachbereich Tiefbau – Straßenschäden" in card and "Phone: 0511 168-44444" in card
    assert "Street damage, potholes" not in card
