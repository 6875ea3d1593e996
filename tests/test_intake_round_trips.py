"""One round trip per answer: when a resident presses a button of the intake, the next
question (or the receipt) is asked of Telegram before any other call of that update has come
back; answering the button and removing its keyboard run alongside, not before it.

The offline Bot API answers every call after `DELAY` seconds here, like a slow network.
"""

from __future__ import annotations

import time

from bot.offline.records import ApiCall
from bot.offline.simulator import SimUser
from tests.conftest import BotEnv

DELAY = 0.3  # seconds per Bot API call; the work between two calls is far below it
ANSWERS = ("sendMessage", "editMessageText")


def _of_update(user: SimUser, calls: list[ApiCall]) -> list[ApiCall]:
    return [
        c
        for c in calls
        if c.method == "answerCallbackQuery" or str(c.params.get("chat_id")) == str(user.chat_id)
    ]


async def round_trips_before_answer(env: BotEnv, user: SimUser, label: str) -> int:
    """Press `label`; how many of the update's calls had been answered before the message
    the resident sees next was sent (0 = the answer is one round trip away)."""
    first = len(env.api.calls)
    await user.press(label)
    calls = _of_update(user, env.api.calls[first:])
    answer = next(c for c in calls if c.method in ANSWERS)
    return sum(1 for c in calls if c is not answer and c.time + DELAY <= answer.time)


async def test_german_intake_answers_every_button_within_one_round_trip(env: BotEnv) -> None:
    erika = env.sim.user(1201, first_name="Erika", language_code="de")
    await erika.send("/start")
    await erika.press("Ich stimme zu")
    await erika.send("/neu")
    await erika.send("linden sued")
    before = len(env.api.sent[erika.chat_id])
    env.api.delay = DELAY
    waited = {"Ja": await round_trips_before_answer(env, erika, "Ja")}
    assert erika.last.plain_text.startswith("Schritt 2 von 6")
    waited["Thema"] = await round_trips_before_answer(env, erika, "Öffentlicher Raum")
    assert "höchstens 2000 Zeichen" in erika.last.plain_text
    await erika.send("Der Platz an der Ecke ist jedes Wochenende vermüllt.")
    waited["Fotos"] = await round_trips_before_answer(env, erika, "Ohne weitere Fotos fortfahren")
    waited["Kontakt"] = await round_trips_before_answer(env, erika, "Überspringen")
    assert erika.last.plain_text == "Schritt 6 von 6\nSchreiben Sie für eine Organisation?"
    waited["privat"] = await round_trips_before_answer(env, erika, "Nein, privat")
    assert erika.last.plain_text.startswith("Ihr Anliegen\nWo: Linden-Süd")
    waited["veröffentlichen"] = await round_trips_before_answer(env, erika, "Text veröffentlichen")
    assert "🌐 Text veröffentlichen: ja" in erika.buttons()
    waited["Senden"] = await round_trips_before_answer(env, erika, "Senden")
    assert erika.last.plain_text.startswith("Vielen Dank! Ihr Anliegen hat die Nummer 10-2026-")
    assert waited == dict.fromkeys(waited, 0)
    # the pressed keyboards are gone all the same: no step can be pressed twice
    pressable = [m for m in env.api.sent[erika.chat_id][before - 1 :] if m.inline_buttons]
    assert pressable == []


async def test_german_change_from_the_review_answers_within_one_round_trip(env: BotEnv) -> None:
    erika = env.sim.user(1202, language_code="de")
    await erika.send("/start")
    await erika.press("Ich stimme zu")
    await erika.send("/neu")
    await erika.send("linden sued")
    await erika.press("Ja")
    await erika.press("Öffentlicher Raum")
    await erika.send("Der Gehweg ist seit Wochen mit Sperrmüll zugestellt.")
    await erika.press("Ohne weitere Fotos fortfahren")
    await erika.press("Überspringen")
    await erika.press("Nein, privat")
    env.api.delay = DELAY
    assert await round_trips_before_answer(env, erika, "Ändern") == 0
    assert await round_trips_before_answer(env, erika, "Handlungsfeld") == 0
    assert await round_trips_before_answer(env, erika, "Bildung") == 0
    assert "Handlungsfeld: Bildung" in erika.last.plain_text  # back at the review, changed


async def test_english_district_list_answers_within_one_round_trip(env: BotEnv) -> None:
    erika = env.sim.user(1203, language_code="en")
    await erika.send("/start")
    await erika.press("I agree")
    await erika.send("/neu")
    env.api.delay = DELAY
    assert await round_trips_before_answer(env, erika, "Choose district from list") == 0
    assert await round_trips_before_answer(env, erika, "Linden-Limmer") == 0
    assert await round_trips_before_answer(env, erika, "Linden-Nord") == 0
    assert await round_trips_before_answer(env, erika, "Public space") == 0
    assert "at most 2000 characters" in erika.last.plain_text


async def test_german_receipt_does_not_queue_behind_the_outbox_pace(env: BotEnv) -> None:
    """The receipt is the answer the resident waits for, as every step's: it is not paced
    like the outbox's notifications (25 a second for all chats), only a flood wait holds it."""
    erika = env.sim.user(1204, language_code="de")
    await erika.send("/start")
    await erika.press("Ich stimme zu")
    await erika.send("/neu")
    await erika.send("linden sued")
    await erika.press("Ja")
    await erika.press("Öffentlicher Raum")
    await erika.send("Der Gehweg ist seit Wochen mit Sperrmüll zugestellt.")
    await erika.press("Ohne weitere Fotos fortfahren")
    await erika.press("Überspringen")
    await erika.press("Nein, privat")
    assert env.app is not None
    pace = env.app.bot_data.outbox.pace
    pace.per_second = 1
    await pace.take()  # this second's one notification is gone
    first = len(env.api.calls)
    pressed = time.monotonic()
    await erika.press("Senden")
    receipt = next(
        c
        for c in env.api.calls[first:]
        if c.method == "sendMessage" and str(c.params.get("chat_id")) == str(erika.chat_id)
    )
    assert receipt.time - pressed < 0.5
    assert erika.last.plain_text.startswith("Vielen Dank! Ihr Anliegen hat die Nummer")
