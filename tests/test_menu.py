"""The resident's menu, language and own list, and the fallback answers, in German (the
default UI) and English: every text, label and date reads in the chosen language."""

from __future__ import annotations

from bot.messages.formatting import language_name
from tests.conftest import BotEnv
from tests.helpers import consent, file_concern


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
    assert f"• {reference} – Public space – received (Wed, 11 Mar 2026, " in listed

    await anna.send("/sprache")
    assert anna.buttons() == [language_name(code) for code in env.services.translations.languages]
    await anna.press("Deutsch")
    assert anna.last.plain_text == "Sprache auf Deutsch gestellt."
    await anna.press_reply("📋 Meine Anliegen")
    listed = anna.last.plain_text
    assert "Ihre Anliegen:" in listed
    assert f"• {reference} – Öffentlicher Raum – eingegangen (Mi, 11.03.2026, " in listed


async def test_fallback_answers_in_german_and_english(env: BotEnv) -> None:
    german = env.sim.user(1104, language_code="de")
    await german.send("/gibtsnicht")
    assert german.last.plain_text == "Diesen Befehl kenne ich nicht. /hilfe zeigt, was ich kann."
    stale = await german.press_data("menu:new")
    assert stale is not None
    english = env.sim.user(1105, language_code="en")
    await english.send("/nosuchcommand")
    assert english.last.plain_text == "I do not know that command. /hilfe shows what I can do."
