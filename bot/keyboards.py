"""Keyboards from plain button data (the outbox stores buttons as dicts)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from bot.messages.reply import Reply

ButtonRows = Sequence[Sequence[tuple[str, str]]]


def inline(rows: ButtonRows) -> InlineKeyboardMarkup:
    """Rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


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


def to_payload(rows: ButtonRows) -> list[list[dict[str, str]]]:
    return [[{"text": label, "data": data} for label, data in row] for row in rows]


def chunk(items: Sequence[tuple[str, str]], width: int) -> list[list[tuple[str, str]]]:
    return [list(items[i : i + width]) for i in range(0, len(items), width)]


def markup(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """A message-layer reply's buttons: inline buttons, else its reply keyboard, else none."""
    if reply.buttons:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(b.label, url=b.url)
                    if b.url is not None
                    else InlineKeyboardButton(b.label, callback_data=b.data)
                    for b in line
                ]
                for line in reply.buttons
            ]
        )
    if reply.keyboard:
        return ReplyKeyboardMarkup([list(line) for line in reply.keyboard], resize_keyboard=True)
    return None
