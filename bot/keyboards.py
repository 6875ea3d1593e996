"""Telegram keyboards from the message layer's plain data: a `Reply`'s buttons, the outbox's
stored button dicts, and reply keyboards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup
from telegram.constants import ParseMode

from bot.messages.reply import Button, Reply, Rows

ButtonRows = Sequence[Sequence[tuple[str, str]]]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup


def button(b: Button) -> InlineKeyboardButton:
    if b.url is not None:
        return InlineKeyboardButton(b.label, url=b.url)
    return InlineKeyboardButton(b.label, callback_data=b.data or "")


def inline_markup(buttons: Rows) -> InlineKeyboardMarkup | None:
    """A Reply's button rows as an inline keyboard (None without buttons)."""
    if not buttons:
        return None
    return InlineKeyboardMarkup([[button(b) for b in row] for row in buttons])


def reply_keyboard(rows: Sequence[Sequence[str]] | None) -> ReplyKeyboardMarkup | None:
    """Rows of labels as a reply keyboard (e.g. the main menu)."""
    return ReplyKeyboardMarkup([list(row) for row in rows], resize_keyboard=True) if rows else None


def markup(reply: Reply) -> Markup | None:
    """What to pass as `reply_markup` for a Reply: its inline buttons, else its reply
    keyboard (Telegram takes one or the other)."""
    return inline_markup(reply.buttons) or reply_keyboard(reply.keyboard)


def parse_mode(reply: Reply) -> ParseMode | None:
    return ParseMode.HTML if reply.html else None


def from_payload(rows: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b["text"], url=b["url"])
                if "url" in b
                else InlineKeyboardButton(b["text"], callback_data=b["data"])
                for b in row
            ]
            for row in rows
        ]
    )


def payload_markup(data: dict[str, Any]) -> dict[str, Any] | None:
    """A stored payload's keyboard in the Bot API's JSON form (no telegram objects: see
    `bot.sending.post`): its inline buttons, else its reply keyboard."""
    buttons = data.get("buttons")
    if buttons:
        return {"inline_keyboard": [[_json_button(b) for b in row] for row in buttons]}
    rows = data.get("keyboard")
    if rows:
        return {
            "keyboard": [[{"text": label} for label in row] for row in rows],
            "resize_keyboard": True,
        }
    return None


def rows_markup(rows: ButtonRows) -> dict[str, Any]:
    """Rows of (label, callback data) in the Bot API's JSON form."""
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": data} for label, data in row] for row in rows
        ]
    }


def _json_button(b: dict[str, str]) -> dict[str, str]:
    if "url" in b:
        return {"text": b["text"], "url": b["url"]}
    return {"text": b["text"], "callback_data": b["data"]}


def to_payload(rows: ButtonRows) -> list[list[dict[str, str]]]:
    return [[{"text": label, "data": data} for label, data in row] for row in rows]


def chunk(items: Sequence[tuple[str, str]], width: int) -> list[list[tuple[str, str]]]:
    return [list(items[i : i + width]) for i in range(0, len(items), width)]
