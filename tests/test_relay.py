"""Replies that always arrive: a resident's free text reaches the case the management wrote
to; with several such cases the bot asks, and keeps the text across a restart."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.offline.simulator import SimUser
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import Case, CaseEvent, Person
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent, file_concern, reference_in

MANAGER = 700_110


def _user(env: BotEnv, telegram_id: int, **kwargs: str) -> SimUser:
    assert env.sim is not None
    return env.sim.user(telegram_id, **kwargs)


async def _german_manager(env: BotEnv) -> SimUser:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    manager = _user(env, MANAGER, first_name="Maria", language_code="de")
    await manager.send("/sprache")
    await manager.press("Deutsch")
    return manager


async def _german_concern(user: SimUser, text: str) -> str:
    """A German resident files a concern through the whole intake."""
    await user.send("/neu")
    await user.send("linden sued")
    await user.press("Ja")
    await user.press("Öffentlicher Raum")
    await user.send(text)
    await user.press("Ohne weitere Fotos fortfahren")
    await user.press("Überspringen")
    await user.press("Nein, privat")
    await user.press("Senden")
    return reference_in(user.last.plain_text)


async def _german_resident(env: BotEnv, telegram_id: int, name: str) -> SimUser:
    user = _user(env, telegram_id, first_name=name, language_code="de")
    await user.send("/start")
    await user.press("Ich stimme zu")
    return user


async def _answers(env: BotEnv, reference: str) -> list[str | None]:
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        rows = await session.scalars(
            select(CaseEvent.text).where(
                CaseEvent.case_id == case.id, CaseEvent.kind == "message_from_resident"
            )
        )
        return list(rows)


async def test_the_story_a_plain_ja_danke_reaches_the_manager(env: BotEnv) -> None:
    """The exact story of issue 11, in German."""
    manager = await _german_manager(env)
    max_ = await _german_resident(env, 1301, "Max")
    await _german_concern(max_, "Die Laterne in der Deisterstraße ist seit Tagen aus.")
    erika = await _german_resident(env, 1302, "Erika")
    reference = await _german_concern(erika, "Der Spielplatz am Lindener Markt ist vermüllt.")
    assert reference == "10-2026-0002"

    await manager.send("/antwort 10-2026-0002 Hat es geklappt?")
    told = erika.last.plain_text
    assert "Hat es geklappt?" in told and reference in told
    assert "Antworten Sie einfach hier im Chat." in told

    await erika.send("Ja, danke")
    assert erika.last.plain_text == (
        "Danke, Ihre Nachricht wurde zum Anliegen 10-2026-0002 hinzugefügt."
    )
    assert "Neues Anliegen" not in erika.last.plain_text
    assert "Ja, danke" in manager.last.plain_text and reference in manager.last.plain_text
    assert await _answers(env, reference) == ["Ja, danke"]
    assert await _answers(env, "10-2026-0001") == []


async def test_two_cases_ask_which_and_a_restart_loses_nothing(env: BotEnv) -> None:
    manager = await _german_manager(env)
    erika = await _german_resident(env, 1303, "Erika")
    first = await _german_concern(erika, "Der Spielplatz am Lindener Markt ist vermüllt.")
    second = await _german_concern(erika, "Die Bank am Küchengarten ist kaputt.")
    await manager.send(f"/antwort {first} Seit wann ist das so?")
    env.clock.advance(minutes=5)
    await manager.send(f"/antwort {second} Welche Bank genau?")
    before = len(env.api.messages(MANAGER))

    await erika.send("Seit Montag.")
    assert erika.last.plain_text.startswith("Zu welchem Ihrer Anliegen gehört Ihre Nachricht?")
    labels = erika.buttons()
    assert labels[0].startswith(second) and "Bank am Küchengarten" in labels[0]  # newest first
    assert labels[1].startswith(first) and "Spielplatz" in labels[1]
    assert labels[2] == "📝 Das ist ein neues Anliegen"
    assert len(env.api.messages(MANAGER)) == before  # nothing sent before the choice

    await env.restart()
    await erika.press(labels[1])
    added = f"Danke, Ihre Nachricht wurde zum Anliegen {first} hinzugefügt."
    assert erika.last.plain_text == added
    assert "Seit Montag." in manager.last.plain_text and first in manager.last.plain_text
    assert await _answers(env, first) == ["Seit Montag."]
    assert await _answers(env, second) == []


async def test_more_messages_while_asked_all_arrive_in_english(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    manager = _user(env, MANAGER, language_code="en")
    erika = _user(env, 1304, language_code="en")
    await consent(erika)
    first = await file_concern(erika, text="The playground is full of rubbish again.")
    second = await file_concern(erika, text="The bench at the corner is broken.")
    await manager.send(f"/antwort {first} Since when?")
    await manager.send(f"/antwort {second} Which bench?")
    assert "To answer, simply write here in the chat." in erika.last.plain_text

    await erika.send("The one by the fountain.")
    await erika.send("It has been broken for a week.")
    assert erika.last.plain_text.startswith("Which of your concerns does your message answer?")
    await erika.press(next(label for label in erika.buttons() if label.startswith(second)))
    assert erika.last.plain_text == f"Thank you, your message was added to {second}."
    assert await _answers(env, second) == [
        "The one by the fountain.",
        "It has been broken for a week.",
    ]


async def test_a_new_concern_and_cancel_are_explicit(env: BotEnv) -> None:
    manager = await _german_manager(env)
    erika = await _german_resident(env, 1305, "Erika")
    first = await _german_concern(erika, "Der Spielplatz am Lindener Markt ist vermüllt.")
    second = await _german_concern(erika, "Die Bank am Küchengarten ist kaputt.")
    await manager.send(f"/antwort {first} Seit wann?")
    await manager.send(f"/antwort {second} Welche Bank?")

    await erika.send("Außerdem liegt Sperrmüll vor dem Haus.")
    await erika.press("📝 Das ist ein neues Anliegen")
    assert "/neu" in erika.last.plain_text
    assert "Ihre Nachricht: Außerdem liegt Sperrmüll vor dem Haus." in erika.last.plain_text

    await erika.send("Noch etwas.")
    await erika.send("/abbrechen")
    assert erika.last.plain_text == "Ihre Nachricht wurde verworfen; nichts wurde gesendet."
    assert await _answers(env, first) == [] and await _answers(env, second) == []


async def test_outside_the_window_the_text_is_not_attached(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    manager = _user(env, MANAGER, language_code="en")
    erika = _user(env, 1306, language_code="en")
    await consent(erika)
    reference = await file_concern(erika)
    await manager.send(f"/antwort {reference} Is it better now?")
    env.clock.advance(timedelta(days=env.settings.resident_reply_window_days + 1))
    await erika.send("Hello?")  # not attached on its own: asked, and kept meanwhile
    assert erika.last.plain_text.startswith("Which of your concerns does your message answer?")
    assert erika.buttons() == [
        f"{reference} – The square at the corner is ful…",
        "📝 It is a new concern",
    ]
    assert await _answers(env, reference) == []
    await erika.press(erika.buttons()[0])
    assert await _answers(env, reference) == ["Hello?"]


async def test_without_any_case_free_text_explains_the_new_concern(env: BotEnv) -> None:
    erika = await _german_resident(env, 1311, "Erika")
    await erika.send("Guten Tag!")
    assert "Neues Anliegen" in erika.last.plain_text and "/neu" in erika.last.plain_text


async def test_a_template_greets_the_resident_by_name_in_german(env: BotEnv) -> None:
    manager = await _german_manager(env)
    erika = await _german_resident(env, 1307, "Erika")
    reference = await _german_concern(erika, "Der Spielplatz am Lindener Markt ist vermüllt.")
    await manager.send("/vorlagen")
    assert "#danke – Hallo {name}, vielen Dank für Ihr Anliegen {reference}." in (
        manager.last.plain_text
    )
    before = len(erika.messages)
    await manager.send(f"/antwort {reference} #danke Wir melden uns bis Freitag.")
    preview = manager.last.plain_text
    assert preview.startswith(
        f"Vorschau Ihrer Antwort an die Einwohnerin/den Einwohner zu {reference}"
    )
    assert "Hallo Erika, vielen Dank" in preview
    assert manager.buttons() == ["✅ Senden", "✏️ Bearbeiten", "✖️ Abbrechen"]
    assert len(erika.messages) == before  # nothing goes out before "Senden"
    await manager.press("✅ Senden")
    told = erika.last.plain_text
    assert (
        f"Hallo Erika, vielen Dank für Ihr Anliegen {reference}. Wir haben es erhalten und "
        "kümmern uns darum. Wir melden uns bis Freitag."
    ) in told
    assert "Maria" not in told  # the manager's name is not the resident's


async def test_a_template_without_a_known_name_is_neutral_in_english(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10", first_name="Maria")
    manager = _user(env, MANAGER, first_name="Maria", language_code="en")
    erika = _user(env, 1308, language_code="en")
    await consent(erika)
    reference = await file_concern(erika)
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None and case.resident_id is not None
        resident = await session.get(Person, case.resident_id)
        assert resident is not None
        resident.first_name = None
    await manager.send("/vorlage frage Hello {name}, one question on {reference}:")
    await manager.send(f"/antwort {reference} #frage which corner?")
    await manager.press("✅ Send")
    assert f"Hello neighbour, one question on {reference}: which corner?" in (
        erika.last.plain_text
    )
    assert "Maria" not in erika.last.plain_text


async def test_a_previewed_answer_can_be_edited_across_a_restart_in_german(env: BotEnv) -> None:
    manager = await _german_manager(env)
    erika = await _german_resident(env, 1309, "Erika")
    reference = await _german_concern(erika, "Der Spielplatz am Lindener Markt ist vermüllt.")
    before = len(erika.messages)
    await manager.send(f"/antwort {reference} #abschluss")
    assert "Danke für Ihr Engagement in Linden-Süd!" in manager.last.plain_text
    await manager.press("✏️ Bearbeiten")
    assert "Der bisherige Text:" in manager.last.plain_text
    await env.restart()
    await manager.send("Hallo Erika, der Spielplatz ist wieder sauber.")
    assert manager.last.plain_text.endswith("Hallo Erika, der Spielplatz ist wieder sauber.")
    assert len(erika.messages) == before
    await manager.press("✅ Senden")
    assert "der Spielplatz ist wieder sauber." in erika.last.plain_text
    assert "Engagement" not in erika.last.plain_text


async def test_a_previewed_answer_can_be_cancelled_in_english(env: BotEnv) -> None:
    await bind_role(env, MANAGER, Role.MANAGER, district="10")
    manager = _user(env, MANAGER, language_code="en")
    erika = _user(env, 1310, language_code="en")
    await consent(erika)
    reference = await file_concern(erika)
    before = len(erika.messages)
    await manager.send(f"/antwort {reference} #verweis")
    assert "another office is responsible" in manager.last.plain_text
    await manager.press("✖️ Cancel")
    assert manager.last.plain_text == "Cancelled."
    assert len(erika.messages) == before


async def test_a_template_in_the_residents_language_is_preferred_and_named(env: BotEnv) -> None:
    """`danke.tr` goes to a resident who reads Turkish; the preview says which language."""
    manager = await _german_manager(env)
    ayse = _user(env, 1309, first_name="Ayşe", language_code="tr")
    await ayse.send("/start")
    t = env.services.translations.get("tr")
    await ayse.press(t("✅ I agree"))
    await ayse.send("/neu")
    await ayse.send("Linden-Süd")
    for label in ("Yes", "Public space"):
        await ayse.press(t(label))
    await ayse.send("Bank kırık.")
    for label in ("Continue without more photos", "Skip", "No, privately", "✅ Send"):
        await ayse.press(t(label))
    reference = reference_in(ayse.last.plain_text)
    erika = await _german_resident(env, 1310, "Erika")
    german_reference = await _german_concern(erika, "Die Bank am Küchengarten ist kaputt.")

    await manager.send("/vorlage danke.tr Merhaba {name}, {reference} numaralı talebiniz alındı.")
    assert "Gespeichert" in manager.last.plain_text
    await manager.send(f"/antwort {reference} #danke")
    preview = manager.last.plain_text
    assert "Sprache der Antwort: Türkçe" in preview
    assert f"Merhaba Ayşe, {reference} numaralı talebiniz alındı." in preview
    await manager.press("✅ Senden")
    assert f"Merhaba Ayşe, {reference} numaralı talebiniz alındı." in ayse.last.plain_text

    # a German resident still gets the German default of the same name
    await manager.send(f"/antwort {german_reference} #danke")
    assert "Sprache der Antwort: Deutsch" in manager.last.plain_text
    assert "Hallo Erika, vielen Dank" in manager.last.plain_text
