"""A resident in each of the seven languages files a concern, gets the manager's message in
their frame, answers it, receives a Lotse card, exports and erases their data: every step in
their language (issue 12). The labels pressed are taken from the language's own catalogue."""

from __future__ import annotations

import re

import pytest

from bot.i18n import Translator
from bot.services.basics.languages import available_languages
from tests.conftest import BotEnv
from tests.helpers import reference_in
from tests.test_triage_dialogues import _manager

LANGUAGES = available_languages()
ENGLISH_ONLY = re.compile(r"\b(Thank you|Your concern|Please|district management)\b")


def test_all_seven_languages_are_shipped() -> None:
    assert set(LANGUAGES) == {"de", "en", "tr", "ar", "uk", "ru", "pl"}
    assert LANGUAGES[0] == "de"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_resident_is_served_in_their_language(env: BotEnv, language: str) -> None:
    assert env.sim is not None
    t: Translator = env.services.translations.get(language)
    de = env.services.translations.get("de")
    manager = await _manager(env, "de")
    resident = env.sim.user(1400, first_name="Ayşe", language_code=language)

    await resident.send("/start")
    await resident.press(t("✅ I agree"))
    await resident.send("/neu")
    await resident.send("Linden-Süd")
    await resident.press(t("Yes"))
    await resident.press(t("Public space"))
    await resident.send("Auf dem Platz liegt Müll. / Meydanda çöp var.")
    await resident.press(t("Continue without more photos"))
    await resident.press(t("Skip"))
    await resident.press(t("No, privately"))
    await resident.press(t("✅ Send"))
    reference = reference_in(resident.last.plain_text)
    assert resident.last.plain_text.startswith(
        t(
            "Thank you! Your concern has the number {reference}. The district management of "
            "{district} will look at it, usually within two working days, and answer you here. "
            "You can see its status with /meine.",
            reference=reference,
            district="Linden-Limmer",
        )
    )

    # the manager's notification says which language the resident reads
    from bot.messages.formatting import language_name

    notice = next(m.plain_text for m in reversed(manager.messages) if reference in m.plain_text)
    assert f"Sprache der Einwohnerin/des Einwohners: {language_name(language)}" in notice

    # the manager writes German; the resident reads it framed in their language
    await manager.send(f"/antwort {reference} Wir schauen uns das morgen an.")
    told = resident.last.plain_text
    assert told.startswith(t("District management, concern {reference}:", reference=reference))
    assert "Wir schauen uns das morgen an." in told
    assert t("To answer, simply write here in the chat.") in told

    # the resident's answer reaches the manager unchanged
    await resident.send("Teşekkürler / Дякую / شكرا")
    assert "Teşekkürler / Дякую / شكرا" in manager.last.plain_text

    # a Lotse card in the resident's language
    await manager.press("Lotse")
    await manager.press(de("🔎 Search the directory"))
    await manager.send("Ordnungsdienst")
    await manager.press(de("City enforcement service"))
    await manager.press(de("Send without a sentence"))
    card = resident.last.plain_text
    head = t("About your concern {reference}: the right contact for it is:", reference=reference)
    assert card.startswith(head) and "0511 168-55555" in card

    # export and erasure
    await resident.send("/meine_daten")
    assert resident.messages[-2].caption == t(
        "Everything the bot stores about you. Erase it with /loeschen."
    )
    assert resident.last.plain_text.startswith(t("Summary of your stored data"))
    await resident.send("/loeschen")
    await resident.press(t("🗑 Yes, erase"))
    assert resident.last.plain_text == t(
        "Your data has been erased. If you write to me again, I will treat you as a new "
        "user; send /start to begin."
    )

    if language != "en":
        english = [m.plain_text for m in resident.messages if ENGLISH_ONLY.search(m.plain_text)]
        assert not english, english
