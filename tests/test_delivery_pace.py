"""The outbox paces its sends (Telegram's limit across all chats), but the receipt of a
concern answers the resident's own "Send": it goes out at once, like any reply, and counts in
the pace. Behind the notifications it waited up to a second (webhook load test)."""

from __future__ import annotations

from bot.delivery import OutboxSender
from tests.conftest import BotEnv
from tests.helpers import consent, to_review

RECEIPT, NUMBER = "Your concern has the number", "Ihr Anliegen hat die Nummer"


def _sent_at(env: BotEnv, marker: str) -> float:
    return next(
        call.time
        for call in env.api.calls
        if call.method == "sendMessage" and marker in str(call.params.get("text"))
    )


async def test_the_receipt_goes_out_at_once_while_the_pace_is_used_up(env: BotEnv) -> None:
    assert env.sim is not None
    erika = env.sim.user(7301, language_code="en")
    await consent(erika)
    await to_review(erika)
    sender: OutboxSender = env.app.bot_data.outbox  # type: ignore[union-attr]
    await sender.pace.take(int(sender.pace.per_second))  # this second's sends are taken
    await erika.press("Send")
    pressed = next(c.time for c in reversed(env.api.calls) if c.method == "answerCallbackQuery")
    assert RECEIPT in erika.last.plain_text
    assert _sent_at(env, RECEIPT) - pressed < 0.5


async def test_the_german_receipt_too(env: BotEnv) -> None:
    assert env.sim is not None
    erika = env.sim.user(7302, language_code="de")
    await erika.send("/start")
    await erika.press("✅ Ich stimme zu")
    await erika.send("/neu")
    await erika.send("linden sued")
    await erika.press("Ja")
    await erika.press("Öffentlicher Raum")
    await erika.send("Der Platz an der Ecke ist jedes Wochenende voller Müll.")
    await erika.press("Ohne weitere Fotos fortfahren")
    await erika.press("Überspringen")
    await erika.press("Nein, privat")
    sender: OutboxSender = env.app.bot_data.outbox  # type: ignore[union-attr]
    await sender.pace.take(int(sender.pace.per_second))
    await erika.press("Senden")
    pressed = next(c.time for c in reversed(env.api.calls) if c.method == "answerCallbackQuery")
    assert NUMBER in erika.last.plain_text
    assert _sent_at(env, NUMBER) - pressed < 0.5
