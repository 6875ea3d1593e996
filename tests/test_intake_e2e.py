"""A resident's concern from /start to the manager's chat, through the real Application."""

from __future__ import annotations

from sqlalchemy import select

from bot.delivery import flush_outbox
from bot.offline.simulator import SimUser
from bot.services.access import people
from bot.services.access.roles import Role
from bot.services.cases import intake
from bot.services.cases.records import Draft
from bot.services.messaging import outbox
from bot.storage.db import session_scope
from bot.storage.models import Case
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
    admin = env.sim.user(ADMIN_ID, language_code="en")
    await admin.send("/sprache")
    await admin.press("English")  # stored: messages the bot sends on its own use it
    erika = env.sim.user(1002, language_code="en")
    await consent(erika)
    reference = await file_concern(erika, place="Kirchrode")
    assert reference.startswith("06-")
    assert reference in admin.last.plain_text
    assert "no manager of this district" in admin.last.plain_text


async def test_restart_in_the_middle_keeps_every_answer(env: BotEnv) -> None:
    await bind_role(env, MANAGER_LINDEN, Role.MANAGER, district="10")
    erika = env.sim.user(1003, language_code="en")
    await consent(erika)
    await erika.send("/neu")
    await erika.send("Limmer")
    await erika.press("Yes")
    await erika.press("Public space")
    await erika.send("Broken bench in the park at the Leine.")

    sim = await env.restart()  # a new Application over the same database
    erika = sim.user(1003)
    await erika.press("Continue without more photos")
    await erika.send("erika@example.org")
    await erika.press("No, privately")
    summary = erika.last.plain_text
    assert "Limmer" in summary and "Broken bench" in summary and "erika@example.org" in summary
    await erika.press("Send")
    manager = sim.user(MANAGER_LINDEN)
    assert "Broken bench in the park" in manager.last.plain_text
    assert "erika@example.org" in manager.last.plain_text


async def test_every_district_is_reachable_from_the_list(env: BotEnv) -> None:
    erika = env.sim.user(1004, language_code="en")
    await consent(erika)
    for district in env.services.reference.districts:
        await erika.send("/neu")
        await erika.press("Choose district from list")
        await erika.press(district.name)
        await erika.press(district.quarters[-1])
        await erika.press("Other")
        await erika.send(f"A concern for {district.name}.")
        await erika.press("Continue without more photos")
        await erika.press("Skip")
        await erika.press("No, privately")
        await erika.press("Send")
        assert f"{district.number}-2026-0001" in erika.last.plain_text
    assert await count_cases(env) == 13


async def test_cancel_stores_nothing_and_change_returns_to_review(env: BotEnv) -> None:
    erika = env.sim.user(1005, language_code="en")
    await consent(erika)
    await erika.send("/neu")
    await erika.send("30449")
    await erika.press("Linden-Mitte")
    await erika.press("Family")
    await erika.send("We need a meeting place for young families.")
    await erika.press("Continue without more photos")
    await erika.press("Skip")
    await erika.press("Club or association")
    await erika.send("Familienzentrum Linden e.V.")
    await erika.press("Change")
    await erika.press("Topic")
    await erika.press("Education")
    assert "Topic: Education" in erika.last.plain_text  # straight back to the review
    assert "Familienzentrum Linden" in erika.last.plain_text
    await erika.press("Cancel")
    assert "Nothing was sent" in erika.last.plain_text
    assert await count_cases(env) == 0


async def test_ambiguous_postcode_leads_to_a_choice(env: BotEnv) -> None:
    erika = env.sim.user(1006, language_code="en")
    await consent(erika)
    await erika.send("/neu")
    await erika.send("30453")
    assert "several districts" in erika.messages[-2].plain_text
    assert set(erika.buttons()) == {"Linden-Limmer", "Ahlem-Badenstedt-Davenstedt", "Ricklingen"}


async def test_photos_and_location_reach_the_manager(env: BotEnv) -> None:
    await bind_role(env, MANAGER_LINDEN, Role.MANAGER, district="10")
    erika = env.sim.user(1007, language_code="en")
    await consent(erika)
    await erika.send("/neu")
    await erika.send_location(52.37, 9.73)
    assert "location is saved" in erika.messages[-2].plain_text  # no boundary file configured
    await erika.press("Linden-Limmer")
    await erika.press("Linden-Nord")
    await erika.press("Public space")
    await erika.send("Graffiti on the underpass.")
    for _ in range(3):
        await erika.send_photo()
    await erika.send_photo()
    assert "already added 3 photos" in erika.last.plain_text
    await erika.press("Continue without more photos")
    await erika.press("Skip")
    await erika.press("No, privately")
    await erika.press("Send")
    manager_messages = env.api.sent[MANAGER_LINDEN]
    assert [m.method for m in manager_messages] == ["sendMediaGroup"] * 3 + [
        "sendLocation",
        "sendMessage",
    ]
    assert manager_messages[3].location["latitude"] == 52.37


async def test_german_resident_and_manager_read_german_throughout(env: BotEnv) -> None:
    await bind_role(env, MANAGER_LINDEN, Role.MANAGER, district="10")
    manager = env.sim.user(MANAGER_LINDEN, language_code="de")
    await manager.send("/sprache")
    await manager.press("Deutsch")
    erika = env.sim.user(1101, first_name="Erika", language_code="de")
    await erika.send("/start")
    await erika.press("Ich stimme zu")
    await erika.send("/neu")
    assert erika.messages[-2].plain_text.startswith("Schritt 1 von 6\nWo ist Ihr Anliegen?")
    assert erika.buttons() == ["Stadtbezirk aus der Liste wählen"]
    await erika.send("linden sued")
    assert erika.last.plain_text == "Linden-Süd, Stadtbezirk Linden-Limmer?"
    await erika.press("Ja")
    await erika.press("Öffentlicher Raum")
    assert "höchstens 2000 Zeichen" in erika.last.plain_text
    await erika.send("Der Platz an der Ecke ist jedes Wochenende vermüllt.")
    await erika.press("Ohne weitere Fotos fortfahren")
    await erika.press("Überspringen")
    assert erika.last.plain_text == "Schritt 6 von 6\nSchreiben Sie für eine Organisation?"
    await erika.press("Nein, privat")
    review = erika.last.plain_text
    assert review.startswith("Ihr Anliegen\nWo: Linden-Süd, Stadtbezirk Linden-Limmer")
    assert "Kontakt: keine" in review and "112" in review  # the emergency numbers
    assert "Adresse:" not in review  # a typed quarter is no address
    assert erika.buttons() == ["✅ Senden", "🌐 Text veröffentlichen: nein", "✏️ Ändern",
                               "✖️ Abbrechen"]  # fmt: skip
    await erika.press("Senden")
    assert erika.last.plain_text.startswith(
        "Vielen Dank! Ihr Anliegen hat die Nummer 10-2026-0001"
    )
    assert erika.reply_keyboard == [
        ["📝 Neues Anliegen", "📋 Meine Anliegen"],
        ["🌐 Sprache", "❓ Hilfe"],
    ]

    card = manager.last
    assert card.plain_text.startswith("Neues Anliegen 10-2026-0001\nWo: Linden-Süd, Stadtbezirk")
    assert "Handlungsfeld: Öffentlicher Raum" in card.plain_text
    assert "Eingegangen: Mi, 11.03.2026, 10:00" in card.plain_text
    assert manager.buttons(card) == [
        "🧭 Lotse (vermitteln)",
        "🤝 Kümmerer (übernehmen)",
        "❓ Einwohner/in fragen",
        "↪️ Anderer Stadtbezirk",
    ]
    # the buttons' data come from the triage family, so the triage handlers still take them
    await manager.press("Kümmerer")
    assert "10-2026-0001" in manager.last.plain_text
    assert "📝 Notiz" in " ".join(manager.buttons())


async def test_english_resident_and_manager_read_english(env: BotEnv) -> None:
    await bind_role(env, MANAGER_LINDEN, Role.MANAGER, district="10")
    erika = env.sim.user(1102, language_code="en")
    await consent(erika)
    await erika.send("/neu")
    assert erika.messages[-2].plain_text.startswith("Step 1 of 6\nWhere is your concern?")
    reference = await file_concern(erika)
    assert erika.last.plain_text.startswith(f"Thank you! Your concern has the number {reference}")
    assert erika.reply_keyboard == [
        ["📝 New concern", "📋 My concerns"],
        ["🌐 Language", "❓ Help"],
    ]
    card = env.sim.user(MANAGER_LINDEN).last
    assert card.plain_text.startswith(f"New concern {reference}\nWhere: Linden-Süd, district")
    assert "Topic: Public space" in card.plain_text
    assert "Received: Wed, 11 Mar 2026, 10:00" in card.plain_text
    assert "Contact: none" in card.plain_text
    assert [b["callback_data"] for b in card.inline_buttons][:2] == [
        f"tr:lotse:{_case_id(reference)}",
        f"tr:kue:{_case_id(reference)}",
    ]


def _case_id(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])  # the first cases of a fresh database


async def test_a_queued_card_and_receipt_speak_the_language_chosen_after_queueing(
    env: BotEnv,
) -> None:
    """The card and the receipt are queued as intents: rendered when they are sent."""
    await bind_role(env, MANAGER_LINDEN, Role.MANAGER, district="10")  # English
    draft = Draft(district_number="10", quarter="Limmer", topic="public_space",
                  description="Broken bench.", key="q" * 32)  # fmt: skip
    async with session_scope(env.services.session_maker) as session:
        resident = await people.get_or_create_person(
            session, telegram_id=1103, first_name="Erika", language="en", now=env.clock.now()
        )
        submitted = await intake.submit(
            session,
            env.services.env,
            draft=draft,
            resident=resident,
            chat_id=1103,
            language="en",
            now=env.clock.now(),
        )
        reference = submitted.case.reference
        # the process dies before the handler sends the receipt; meanwhile both switch
        for person in (resident, await people.get_person(session, telegram_id=MANAGER_LINDEN)):
            assert person is not None
            person.language = "de"
    assert env.app is not None
    await flush_outbox(env.app)
    assert f"Neues Anliegen {reference}" in env.sim.user(MANAGER_LINDEN).last.plain_text
    assert env.api.sent.get(1103, []) == []  # the receipt waits for the handler first
    env.clock.advance(seconds=outbox.BACKUP_SECONDS + 1)
    await flush_outbox(env.app)
    receipt = env.sim.user(1103).last.plain_text
    assert receipt.startswith(f"Vielen Dank! Ihr Anliegen hat die Nummer {reference}")


# --- issue 11: checked contact, truthful address, narrowed quarters, the step counter ---------
async def _at_contact(user: SimUser, *, yes: str, topic: str, photos_done: str) -> None:
    await user.send("/neu")
    await user.send("linden sued")
    await user.press(yes)
    await user.press(topic)
    await user.send("Der Gehweg ist seit Wochen mit Sperrmüll zugestellt.")
    await user.press(photos_done)


async def test_german_contact_is_checked_asked_again_and_normalised(env: BotEnv) -> None:
    erika = env.sim.user(1111, language_code="de")
    await erika.send("/start")
    await erika.press("Ich stimme zu")
    await _at_contact(erika, yes="Ja", topic="Öffentlicher Raum", photos_done="Ohne weitere")
    assert erika.last.plain_text.startswith("Schritt 5 von 6\n")
    await erika.send("abc")
    assert erika.last.plain_text.startswith(
        "Das ist weder eine Telefonnummer noch eine E-Mail-Adresse.\nBitte geben Sie"
    )
    assert erika.buttons() == ["Überspringen"]  # skipping stays open
    await erika.send("0511 12")
    assert erika.last.plain_text.startswith("Das sieht nicht nach einer gültigen Telefonnummer")
    await erika.send("erika@localhost")
    assert erika.last.plain_text.startswith("Das sieht nicht nach einer gültigen E-Mail-Adresse")
    await erika.send("0511 7654321")
    assert erika.last.plain_text == "Schritt 6 von 6\nSchreiben Sie für eine Organisation?"
    await erika.press("Nein, privat")
    assert "Kontakt: +495117654321" in erika.last.plain_text
    await erika.press("Senden")
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case))
    assert case is not None and case.contact == "+495117654321"


async def test_english_contact_takes_an_email_and_a_typed_skip(env: BotEnv) -> None:
    sam = env.sim.user(1112, language_code="en")
    await consent(sam)
    await _at_contact(sam, yes="Yes", topic="Public space", photos_done="Continue without")
    await sam.send("not a contact")
    assert sam.last.plain_text.startswith(
        "That is neither a phone number nor an e-mail address.\nPlease type a phone number"
    )
    await sam.send("Sam.Smith@Example.ORG")
    assert sam.last.plain_text == "Step 6 of 6\nAre you writing on behalf of an organisation?"
    await sam.press("No, privately")
    assert "Contact: Sam.Smith@example.org" in sam.last.plain_text
    await sam.press("Change")
    await sam.press("Contact")
    await sam.send("skip")  # typed instead of pressing "Skip"
    assert "Contact: none" in sam.last.plain_text


async def test_german_postcode_offers_only_its_quarters(env: BotEnv) -> None:
    erika = env.sim.user(1113, language_code="de")
    await erika.send("/start")
    await erika.press("Ich stimme zu")
    await erika.send("/neu")
    await erika.send("30449")
    assert erika.last.plain_text == "Schritt 1 von 6\nWelcher Stadtteil in Linden-Limmer?"
    assert erika.buttons() == ["Linden-Mitte", "Linden-Süd", "Anderer Stadtteil", "Weiß ich nicht"]
    await erika.press("Anderer Stadtteil")  # the way to all four
    assert erika.buttons() == [
        "Linden-Nord",
        "Linden-Mitte",
        "Linden-Süd",
        "Limmer",
        "Weiß ich nicht",
    ]
    await erika.press("Linden-Süd")
    assert erika.last.plain_text.startswith("Schritt 2 von 6\n")
    await erika.press("Öffentlicher Raum")
    assert erika.last.plain_text.startswith("Schritt 3 von 6\n")
    await erika.send("Die Laterne vor Haus 12 ist seit Tagen dunkel.")
    assert erika.last.plain_text.startswith("Schritt 4 von 6\n")
    await erika.press("Ohne weitere Fotos fortfahren")
    await erika.press("Überspringen")
    await erika.press("Nein, privat")
    review = erika.last.plain_text
    assert "Wo: Linden-Süd, Stadtbezirk Linden-Limmer" in review
    assert "Adresse:" not in review  # a postcode is no address


async def test_english_postcode_quarters_and_a_street_address_is_kept(env: BotEnv) -> None:
    sam = env.sim.user(1114, language_code="en")
    await consent(sam)
    await sam.send("/neu")
    await sam.send("Limmerstraße 5, 30449")
    assert sam.last.plain_text == "Step 1 of 6\nWhich quarter of Linden-Limmer?"
    assert sam.buttons() == ["Linden-Mitte", "Linden-Süd", "Other quarter", "I don't know"]
    await sam.press("Linden-Mitte")
    await sam.press("Public space")
    await sam.send("A streetlight has been dark for days.")
    await sam.press("Continue without more photos")
    await sam.press("Skip")
    await sam.press("No, privately")
    review = sam.last.plain_text
    assert "Where: Linden-Mitte, district Linden-Limmer" in review
    assert "Address: Limmerstraße 5, 30449" in review


async def test_german_changing_the_place_drops_the_old_address(env: BotEnv) -> None:
    erika = env.sim.user(1115, language_code="de")
    await erika.send("/start")
    await erika.press("Ich stimme zu")
    await erika.send("/neu")
    await erika.send("Limmerstraße 5, 30449")
    await erika.press("Linden-Mitte")
    await erika.press("Öffentlicher Raum")
    await erika.send("Die Laterne ist seit Tagen dunkel.")
    await erika.press("Ohne weitere Fotos fortfahren")
    await erika.press("Überspringen")
    await erika.press("Nein, privat")
    assert "Adresse: Limmerstraße 5, 30449" in erika.last.plain_text
    await erika.press("Ändern")
    await erika.press("Ort")
    await erika.press("Stadtbezirk aus der Liste wählen")
    await erika.press("Linden-Limmer")
    await erika.press("Limmer")
    review = erika.last.plain_text
    assert "Wo: Limmer, Stadtbezirk Linden-Limmer" in review
    assert "Adresse:" not in review
