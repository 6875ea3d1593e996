"""The lean send path (bot/sending.py): plain JSON keyboards in, the message id out, through
python-telegram-bot's own `Bot._post` (defaults, rate limiter, errors) — if the library
changes that path, these fail."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest
from telegram.ext import ApplicationBuilder

from bot.messages.reply import Button, Reply, rows
from bot.offline.fake_api import FakeBotAPI
from bot.sending import Sent, send_payload


async def _bot(api: FakeBotAPI):  # type: ignore[no-untyped-def]
    app = ApplicationBuilder().token("123456:TEST").request(api).get_updates_request(api).build()
    await app.initialize()
    return app


async def test_a_reply_with_buttons_arrives_as_telegram_would_get_it() -> None:
    api = FakeBotAPI(delay=0.0)
    app = await _bot(api)
    reply = Reply(
        "Worum geht es?",
        buttons=rows(
            [Button("Öffentlicher Raum", data="in:t:public")],
            [Button("Karte", url="https://example.org")],
        ),
    )
    sent = await send_payload(app.bot, 42, reply.to_payload())
    assert isinstance(sent, Sent)
    [message] = api.sent[42]
    assert sent.message_id == message.message_id
    call = api.calls[-1]
    assert call.method == "sendMessage"
    assert call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Öffentlicher Raum", "callback_data": "in:t:public"}],
            [{"text": "Karte", "url": "https://example.org"}],
        ]
    }
    assert message.inline_buttons and message.text == "Worum geht es?"
    await app.shutdown()


async def test_a_menu_keyboard_and_plain_text() -> None:
    api = FakeBotAPI(delay=0.0)
    app = await _bot(api)
    reply = Reply("Menü", keyboard=(("Neues Anliegen", "Meine Anliegen"),), html=False)
    sent = await send_payload(app.bot, 7, reply.to_payload())
    call = api.calls[-1]
    assert "parse_mode" not in call.params
    assert call.params["reply_markup"] == {
        "keyboard": [[{"text": "Neues Anliegen"}, {"text": "Meine Anliegen"}]],
        "resize_keyboard": True,
    }
    assert api.sent[7][-1].message_id == sent.message_id
    await app.shutdown()


async def test_an_error_of_the_api_is_raised_as_the_library_raises_it() -> None:
    api = FakeBotAPI(delay=0.0)
    app = await _bot(api)
    with pytest.raises(BadRequest):
        await send_payload(app.bot, 7, Reply("x" * 5000, html=False).to_payload())
    await app.shutdown()
