"""Confirmations that say what happened: a manager's message to a resident is confirmed by its
real outcome (sent, queued with the next attempt's time, or not possible and why), and a
queued message that fails later is reported to its sender once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from bot.delivery import flush_outbox
from bot.offline.chats import SimUser
from bot.services.access.roles import Role
from bot.storage.db import session_scope
from bot.storage.models import (
    Agreement,
    Case,
    CaseEvent,
    OutboxMessage,
    Person,
    RoleAssignment,
)
from tests.conftest import BotEnv
from tests.helpers import bind_role, consent, file_concern
from tests.test_relay import _german_concern, _german_manager, _german_resident

MANAGER = 700_110  # the German manager of tests.test_relay
ERASED_DE = (
    "An die Einwohnerin/den Einwohner von 10-2026-0002 kann nichts gesendet werden. Die "
    "Einwohnerin/der Einwohner hat ihre/seine personenbezogenen Daten löschen lassen; der Bot "
    "weiß nicht mehr, wer sie/er ist."
)


async def _count(env: BotEnv, model: type, *where: object) -> int:
    async with session_scope(env.services.session_maker) as session:
        query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        return int(await session.scalar(query) or 0)


async def _messages_to_resident(env: BotEnv, reference: str) -> int:
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        return await _count(
            env,
            CaseEvent,
            CaseEvent.case_id == case.id,
            CaseEvent.kind == "message_to_resident",
        )


async def _two_concerns(env: BotEnv) -> tuple[SimUser, SimUser]:
    """The issue's story: a German manager, Max's concern 0001 and Erika's 0002."""
    manager = await _german_manager(env)
    max_ = await _german_resident(env, 1301, "Max")
    await _german_concern(max_, "Die Laterne in der Deisterstraße ist seit Tagen aus.")
    erika = await _german_resident(env, 1302, "Erika")
    assert await _german_concern(erika, "Der Spielplatz ist vermüllt.") == "10-2026-0002"
    return manager, erika


async def test_after_erasure_the_manager_is_told_nothing_can_be_sent_and_why(
    env: BotEnv,
) -> None:
    manager, erika = await _two_concerns(env)
    await manager.send("/antwort 10-2026-0002 Hat es geklappt?")
    assert manager.last.plain_text == (
        "Die Nachricht zu 10-2026-0002 wurde an die Einwohnerin/den Einwohner gesendet."
    )
    await erika.send("/loeschen")
    await erika.press("Ja, löschen")
    received = len(erika.messages)

    await manager.send("/antwort 10-2026-0002 Noch eine Rückfrage zum Spielplatz.")
    assert manager.last.plain_text == ERASED_DE
    assert len(erika.messages) == received
    assert await _messages_to_resident(env, "10-2026-0002") == 1  # the first one only
    # the history names the erasure in German
    await manager.send("/fall 10-2026-0002")
    assert (
        "Personenbezogene Daten gelöscht am Mi, 11.03.2026: An die Einwohnerin/den Einwohner "
        "kann nichts mehr gesendet werden." in manager.last.plain_text
    )
    assert "Kontakt der Einwohnerin" not in manager.last.plain_text
    await manager.press("📜 Verlauf")
    history = manager.last.plain_text
    assert "personenbezogene Daten gelöscht: auf Wunsch der Einwohnerin/des Einwohners" in (
        history
    )
    assert "sonstiges Ereignis" not in history and "personal data" not in history


async def test_a_question_by_button_after_erasure_changes_nothing_in_german(env: BotEnv) -> None:
    manager, erika = await _two_concerns(env)
    await erika.send("/loeschen")
    await erika.press("Ja, löschen")
    await manager.send("/fall 10-2026-0002")
    await manager.press("❓ Einwohner/in fragen")
    await manager.send("Seit wann ist das so?")
    assert manager.last.plain_text.startswith(ERASED_DE)
    async with session_scope(env.services.session_maker) as session:
        case = await session.scalar(select(Case).where(Case.reference == "10-2026-0002"))
        assert case is not None and case.status == "new"  # not waiting for an answer


async def test_a_resident_who_blocked_the_bot_is_reported_as_failed_in_german(
    env: BotEnv,
) -> None:
    manager, erika = await _two_concerns(env)
    env.api.blocked.add(1302)
    before = len(manager.messages)
    await manager.send("/antwort 10-2026-0002 Hat es geklappt?")
    assert manager.last.plain_text == (
        "Die Nachricht zu 10-2026-0002 konnte nicht zugestellt werden. Die Einwohnerin/der "
        "Einwohner hat den Bot blockiert oder den Chat mit ihm gelöscht."
    )
    await flush_outbox(env.app)  # type: ignore[arg-type]
    assert len(manager.messages) == before + 1  # no second notice of the same thing
    # a manager's message is tried again (the resident may have unblocked the bot) and
    # reported as it went
    await manager.send("/antwort 10-2026-0002 Sind Sie noch da?")
    assert "konnte nicht zugestellt werden" in manager.last.plain_text
    tries = [c for c in env.api.calls_to("sendMessage") if c.params.get("chat_id") == 1302]
    assert len([c for c in tries if c.error]) == 2
    env.api.blocked.discard(1302)
    await manager.send("/antwort 10-2026-0002 Schön, dass es wieder geht.")
    assert manager.last.plain_text == (
        "Die Nachricht zu 10-2026-0002 wurde an die Einwohnerin/den Einwohner gesendet."
    )
    assert "Schön, dass es wieder geht." in erika.last.plain_text


@pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta")  # raised inside PTB itself
async def test_a_queued_message_says_when_and_a_later_failure_is_told_once(env: BotEnv) -> None:
    await bind_role(env, 700_120, Role.MANAGER, district="10")
    manager = env.sim.user(700_120, language_code="en")  # type: ignore[union-attr]
    erika = env.sim.user(1401, language_code="en")  # type: ignore[union-attr]
    await consent(erika)
    reference = await file_concern(erika)
    env.api.fail_next("sendMessage", error_code=429, retry_after=120)  # a long flood wait
    await manager.send(f"/antwort {reference} Could you send a photo?")
    assert manager.last.plain_text == (
        f"The message on {reference} could not be delivered yet; it goes out with the next "
        "attempt at Wed, 11 Mar 2026, 10:02. If it fails, I will tell you."
    )
    env.api.blocked.add(1401)  # meanwhile the resident blocks the bot
    env.clock.advance(minutes=3)
    await flush_outbox(env.app)  # type: ignore[arg-type]
    assert manager.last.plain_text == (
        f"⚠️ Your message on {reference} could not be delivered after all. The resident has "
        "blocked the bot or deleted the chat with it."
    )
    told = len(manager.messages)
    env.clock.advance(minutes=30)
    await flush_outbox(env.app)  # type: ignore[arg-type]
    assert len(manager.messages) == told
    assert await _count(env, OutboxMessage, OutboxMessage.kind == "delivery_failed") == 1


async def test_a_sent_reply_and_question_are_confirmed_in_english(env: BotEnv) -> None:
    await bind_role(env, 700_121, Role.MANAGER, district="10")
    manager = env.sim.user(700_121, language_code="en")  # type: ignore[union-attr]
    erika = env.sim.user(1402, language_code="en")  # type: ignore[union-attr]
    await consent(erika)
    reference = await file_concern(erika)
    notification = manager.last
    await manager.reply_to(notification, "Since when?")
    assert manager.last.plain_text == f"Sent to the resident of {reference}."
    assert "Since when?" in erika.last.plain_text
    await manager.send(f"/fall {reference}")
    await manager.press("❓ Ask the resident")
    await manager.send("Which corner exactly?")
    assert manager.last.plain_text.startswith(f"Question sent to the resident of {reference}.")
    assert "Which corner exactly?" in erika.last.plain_text


async def test_a_lotse_card_after_erasure_refers_but_says_the_card_did_not_go_in_german(
    env: BotEnv,
) -> None:
    manager, erika = await _two_concerns(env)
    await erika.send("/loeschen")
    await erika.press("Ja, löschen")
    await manager.send("/fall 10-2026-0002")
    await manager.press("🧭 Lotse (vermitteln)")
    await manager.press("Im Verzeichnis suchen")
    await manager.send("Bezirksmanagement")
    await manager.press(manager.buttons()[0])
    await manager.press("Ohne eigenen Satz senden")
    told = manager.last.plain_text
    assert told.startswith(
        "Vermittelt. Das Anliegen 10-2026-0002 ist als vermittelt abgeschlossen.\n"
        "Die Kontaktkarte zu 10-2026-0002 konnte nicht gesendet werden. Die Einwohnerin/der "
        "Einwohner hat ihre/seine personenbezogenen Daten löschen lassen"
    ), told


async def test_a_lotse_card_with_a_note_is_confirmed_as_sent_in_english(env: BotEnv) -> None:
    await bind_role(env, 700_122, Role.MANAGER, district="10")
    manager = env.sim.user(700_122, language_code="en")  # type: ignore[union-attr]
    erika = env.sim.user(1403, language_code="en")  # type: ignore[union-attr]
    await consent(erika)
    reference = await file_concern(erika, text="Who is responsible for our district?")
    await manager.press("Lotse")
    await manager.press("Search the directory")
    await manager.send("Bezirksmanagement")
    await manager.press(manager.buttons()[0])
    await manager.send("Come to the consultation hour.")
    assert "consultation hour" in erika.last.plain_text
    assert manager.last.plain_text.startswith(
        f"Referred. The case {reference} is closed as referred.\n"
        f"The contact card for {reference} was sent to the resident."
    ), manager.last.plain_text


# --- agreement messages ---------------------------------------------------------------------
REP = 700_166


async def _agreement_with_rep(env: BotEnv, language: str) -> tuple[SimUser, SimUser, int]:
    """A manager records an agreement for FB 66, whose rep is bound; its id."""
    await bind_role(env, 700_130, Role.MANAGER, district="10", language=language)
    await bind_role(env, REP, Role.REP, district="10", department="66", language=language)
    async with session_scope(env.services.session_maker) as session:  # bind_role stores "en"
        await session.execute(update(Person).values(language=language))
    manager = env.sim.user(700_130, language_code=language)  # type: ignore[union-attr]
    rep = env.sim.user(REP, language_code=language)  # type: ignore[union-attr]
    await manager.send("/vereinbarung")
    await manager.press_data("agf:dep:66")
    await manager.send("Zwei Papierkörbe am Küchengarten.")
    await manager.send("bis Ende März")
    for data in ("agf:due:yes", "agf:topic:-", "agf:plan:-", "agf:save"):
        await manager.press_data(data)
    async with session_scope(env.services.session_maker) as session:
        agreement_id = await session.scalar(select(func.max(Agreement.id)))
    assert agreement_id is not None
    return manager, rep, int(agreement_id)


async def test_a_nudge_that_reached_the_rep_says_so_in_german(env: BotEnv) -> None:
    manager, rep, agreement_id = await _agreement_with_rep(env, "de")
    await manager.press_data(f"ag:nudge:{agreement_id}")
    assert manager.last.plain_text == (
        "Die Fachbereichsvertreterin/der Fachbereichsvertreter wurde erinnert."
    )
    assert "Zwei Papierkörbe" in rep.last.plain_text


async def test_a_rep_no_longer_in_the_role_is_not_written_to_in_german(env: BotEnv) -> None:
    manager, rep, agreement_id = await _agreement_with_rep(env, "de")
    received = len(rep.messages)
    async with session_scope(env.services.session_maker) as session:
        await session.execute(
            update(RoleAssignment)
            .where(RoleAssignment.role == Role.REP)
            .values(ended_at=env.clock.now())
        )
    await manager.press_data(f"ag:nudge:{agreement_id}")
    assert manager.last.plain_text == (
        "Die Fachbereichsvertretung konnte nicht informiert werden. Die Person vertritt den "
        "Fachbereich nicht mehr."
    )
    assert len(rep.messages) == received


async def test_a_rep_who_blocked_the_bot_is_reported_to_the_deciding_manager(
    env: BotEnv,
) -> None:
    manager, _rep, agreement_id = await _agreement_with_rep(env, "en")
    env.api.blocked.add(REP)
    await manager.press_data(f"ag:nudge:{agreement_id}")
    assert (
        "The representative could not be told. The representative has blocked the bot or "
        "deleted the chat with it."
    ) in manager.texts()


@pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta")  # raised inside PTB itself
async def test_a_queued_message_whose_resident_erases_is_reported_in_german(env: BotEnv) -> None:
    manager, erika = await _two_concerns(env)
    env.api.fail_next("sendMessage", error_code=429, retry_after=300)
    await manager.send("/antwort 10-2026-0002 Wann waren Sie zuletzt dort?")
    assert manager.last.plain_text == (
        "Die Nachricht zu 10-2026-0002 konnte noch nicht zugestellt werden; sie geht beim "
        "nächsten Versuch am Mi, 11.03.2026, 10:05 hinaus. Falls das scheitert, sage ich Ihnen "
        "Bescheid."
    )
    await erika.send("/loeschen")
    await erika.press("Ja, löschen")
    await flush_outbox(env.app)  # type: ignore[arg-type]
    assert manager.last.plain_text == (
        "⚠️ Ihre Nachricht zu 10-2026-0002 konnte doch nicht zugestellt werden. Die "
        "Einwohnerin/der Einwohner hat ihre/seine personenbezogenen Daten löschen lassen; der "
        "Bot weiß nicht mehr, wer sie/er ist."
    )
    env.clock.advance(minutes=10)
    await flush_outbox(env.app)  # type: ignore[arg-type]
    assert "Wann waren Sie" not in erika.last.plain_text


# --- templates ------------------------------------------------------------------------------
async def test_a_template_after_erasure_is_not_previewed_but_refused_in_german(
    env: BotEnv,
) -> None:
    manager, erika = await _two_concerns(env)
    await erika.send("/loeschen")
    await erika.press("Ja, löschen")
    await manager.send("/antwort 10-2026-0002 #danke Wir melden uns bis Freitag.")
    assert manager.last.plain_text == ERASED_DE
    assert not manager.last.inline_buttons


async def test_a_previewed_template_to_a_blocked_resident_is_reported_in_german(
    env: BotEnv,
) -> None:
    manager, _erika = await _two_concerns(env)
    await manager.send("/antwort 10-2026-0002 #danke Wir melden uns bis Freitag.")
    env.api.blocked.add(1302)
    await manager.press("✅ Senden")
    assert manager.last.plain_text == (
        "Die Nachricht zu 10-2026-0002 konnte nicht zugestellt werden. Die Einwohnerin/der "
        "Einwohner hat den Bot blockiert oder den Chat mit ihm gelöscht."
    )
