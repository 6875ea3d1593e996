"""A Reply's plain buttons become Telegram keyboards in one place (bot/keyboards.py)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup
from telegram.constants import ParseMode

from bot.keyboards import markup, parse_mode
from bot.messages.reply import Button, Reply, rows


def test_inline_buttons_win_over_the_reply_keyboard() -> None:
    reply = Reply(
        "Hallo",
        buttons=rows([Button("Ja", data="x:yes"), Button("Karte", url="https://example.org")]),
        keyboard=(("Neues Anliegen",),),
    )
    found = markup(reply)
    assert isinstance(found, InlineKeyboardMarkup)
    [[yes, link]] = found.inline_keyboard
    assert (yes.text, yes.callback_data, yes.url) == ("Ja", "x:yes", None)
    assert (link.text, link.callback_data, link.url) == ("Karte", None, "https://example.org")
    assert parse_mode(reply) == ParseMode.HTML


def test_a_reply_keyboard_and_plain_text() -> None:
    reply = Reply("Menü", keyboard=(("Neues Anliegen", "Meine Anliegen"),), html=False)
    found = markup(reply)
    assert isinstance(found, ReplyKeyboardMarkup) and found.resize_keyboard
    assert [[b.text for b in row] for row in found.keyboard] == [
        ["Neues Anliegen", "Meine Anliegen"]
    ]
    assert parse_mode(reply) is None
    assert markup(Reply("nichts")) is None
