"""The resident's menu, language and own list, and the fallback answers, in German (the
default UI) and English: every text, label and date reads in the chosen language."""

from __future__ import annotations

from sqlalchemy import select

from bot.messages.formatting import language_name
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Case
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent, file_concern

MANAGER_LINDEN = 700_010


async def test_greeting_consent_and_menu_in_german(env: BotEnv) -> None:
    erika = env.sim.user(1101, first_name="Erika", language_code="de")
    await erika.send("/start")
    assert "Hallo Erika!" in erika.last.plain_text
    assert "Datenschutz" in erika.last.plain_text
    await erika.press("✅ Ich stimme zu")
    assert erika.reply_keyboard == [
        ["📝 Neues Anliegen", "📋 Meine Anliegen"],
        ["🌐 Sprache", "❓ Hilfe"],
    ]
    await erika.send("/hilfe")
    assert "/meine – meine Anliegen" in erika.last.plain_text


async def test_refusing_consent_names_the_city_switchboard_de(env: BotEnv) -> None:
    """115 is unconfirmed for Hannover (shared/data/departments.md): the switchboard is not."""
    assert env.sim is not None
    karl = env.sim.user(1104, first_name="Karl", language_code="de")
    await karl.send("/start")
    await karl.press("✖️ Nein")
    refusal = karl.last.plain_text
    assert "Telefonzentrale, Telefon 0511 168-0" in refusal and "115" not in refusal


async def test_a_name_with_markup_is_shown_as_typed(env: BotEnv) -> None:
    bob = env.sim.user(1102, first_name="<b>Bob</b> & Co", language_code="en")
    await bob.send("/start")
    assert "Hello <b>Bob</b> & Co!" in bob.last.plain_text


async def test_my_concerns_read_in_the_language_chosen_later(env: BotEnv) -> None:
    anna = env.sim.user(1103, first_name="Anna", language_code="en")
    await consent(anna)
    await anna.send("/meine")
    assert "You have not sent any concerns yet" in anna.last.plain_text
    reference = await file_concern(anna)
    await anna.send("/meine")
    listed = anna.last.plain_text
    assert "Your concerns:" in listed
    assert f"• {reference} – Public space – received\n  Sent: Wed, 11 Mar 2026, 10:00" in listed
    assert "Latest step: passed to the district management (Wed, 11 Mar 2026, 10:00)" in listed

    await anna.send("/sprache")
    assert anna.buttons() == [language_name(code) for code in env.services.translations.languages]
    await anna.press("Deutsch")
    assert anna.last.plain_text == "Sprache auf Deutsch gestellt."
    await anna.press_reply("📋 Meine Anliegen")
    listed = anna.last.plain_text
    assert "Ihre Anliegen:" in listed
    assert f"• {reference} – Öffentlicher Raum – eingegangen\n  Gesendet: Mi, 11.03.2026" in listed


async def test_fallback_answers_in_german_and_english(env: BotEnv) -> None:
    german = env.sim.user(1104, language_code="de")
    await german.send("/gibtsnicht")
    assert german.last.plain_text == "Diesen Befehl kenne ich nicht. /hilfe zeigt, was ich kann."
    stale = await german.press_data("menu:new")
    assert stale is not None
    english = env.sim.user(1105, language_code="en")
    await english.send("/nosuchcommand")
    assert english.last.plain_text == "I do not know that command. /hilfe shows what I can do."


async def _case_id(env: BotEnv) -> int:
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case))
    assert case is not None
    return case.id


async def test_my_concerns_show_the_latest_step_and_the_next_date_in_german(env: BotEnv) -> None:
    await bind_role(env, MANAGER_LINDEN, Role.MANAGER, district="10")
    manager = env.sim.user(MANAGER_LINDEN, language_code="de")
    await manager.send("/sprache")
    await manager.press("Deutsch")
    erika = env.sim.user(1121, language_code="de")
    await erika.send("/start")
    await erika.press("✅ Ich stimme zu")
    await erika.send("/neu")
    await erika.send("linden sued")
    await erika.press("Ja")
    await erika.press("Öffentlicher Raum")
    await erika.send("Am Spielplatz liegen jeden Morgen Scherben.")
    await erika.press("Ohne weitere Fotos fortfahren")
    await erika.press("Überspringen")
    await erika.press("Nein, privat")
    await erika.press("Senden")
    case_id = await _case_id(env)
    await manager.press_data(f"tr:kue:{case_id}")
    await manager.press_data(f"tr:step:{case_id}")
    await manager.send("Ortstermin mit FB 67")
    await manager.send("bis Freitag")
    await manager.press("Ja")

    await erika.press_reply("📋 Meine Anliegen")
    listed = erika.last.plain_text
    assert "Öffentlicher Raum – in Bearbeitung" in listed
    assert "Letzter Schritt: nächster Schritt geplant (Mi, 11.03.2026, 10:00)" in listed
    assert "Nächster Termin: Fr, 13.03.2026" in listed
    assert "Ortstermin" not in listed  # the manager's wording stays internal


async def test_my_concerns_without_a_next_date_in_english(env: BotEnv) -> None:
    await bind_role(env, MANAGER_LINDEN, Role.MANAGER, district="10")
    manager = env.sim.user(MANAGER_LINDEN, language_code="en")
    sam = env.sim.user(1122, language_code="en")
    await consent(sam)
    reference = await file_concern(sam)
    await manager.press_data(f"tr:kue:{await _case_id(env)}")
    await sam.send("/meine")
    listed = sam.last.plain_text
    assert f"• {reference} – Public space – in progress" in listed
    assert "Latest step: taken on by the district management (Wed, 11 Mar 2026, 10:00)" in listed
    assert "Next date" not in listed
