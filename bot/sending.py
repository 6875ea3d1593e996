"""Sending one stored payload through the Bot API, and the pace of all sends: the parts of
the outbox's delivery that handlers use too (`send_payload` for a reply built as a payload).
"""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass
from typing import Any

from telegram import Bot, InputMediaPhoto

from bot import newest
from bot.keyboards import payload_markup

MESSAGES_PER_SECOND = 25  # overall; Telegram allows about 30 before answering 429


class Pace:
    """At most `per_second` Bot API sends in any one-second window, across all chats; after
    a 429 every send waits until Telegram's retry-after has passed."""

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self._sent: collections.deque[float] = collections.deque()
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def note(self, calls: int = 1) -> None:
        """Count sends that do not wait (answers): the queue's sends leave room for them."""
        now = time.monotonic()
        self._sent.extend([now] * calls)

    async def paused(self) -> None:
        """Wait out a flood wait Telegram asked for, without taking a place in the pace."""
        left = self._paused_until - time.monotonic()
        if left > 0:
            await asyncio.sleep(left)

    async def take(self, calls: int = 1) -> None:
        for _ in range(calls):
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                while self._sent and self._sent[0] <= now - 1.0:
                    self._sent.popleft()
                if len(self._sent) < self.per_second:
                    self._sent.append(now)
                    break
                await asyncio.sleep(self._sent[0] + 1.0 - now)


@dataclass(frozen=True, slots=True)
class Sent:
    """What is kept of a sent message: its id, for a later edit or a reply to it."""

    message_id: int


async def post(bot: Bot, method: str, params: dict[str, Any]) -> Any:
    """One Bot API call whose answer stays plain JSON.

    python-telegram-bot's typed methods build a `Message` from every answer and serialise
    keyboards from objects; for the texts and buttons the bot sends on every step that took
    more CPU than the call itself (0.30 ms against 0.12 ms per send with the stand-in).
    `Bot._post` is the library's own path under those methods (defaults, the rate limiter and
    error handling included); python-telegram-bot is pinned to one version in pyproject.toml,
    and tests/test_sending.py fails if the path changes.
    """
    return await bot._post(method, params)


async def send_text(
    bot: Bot, chat_id: int, text: str, *, html: bool, markup: dict[str, Any] | None
) -> Sent:
    """sendMessage with a keyboard in its JSON form."""
    params = _text_params({"chat_id": chat_id}, text, html=html, markup=markup)
    result = await post(bot, "sendMessage", params)
    sent = Sent(int(result["message_id"]))
    newest.note(bot, chat_id, sent.message_id)
    return sent


def editable(data: dict[str, Any]) -> bool:
    """Whether a payload can replace an earlier message's text in place: text and inline
    buttons only (no photos, pin, document or menu keyboard)."""
    return not any(data.get(key) for key in ("photos", "location", "document", "keyboard"))


async def edit_text(bot: Bot, chat_id: int, message_id: int, data: dict[str, Any]) -> None:
    """editMessageText with an `editable` payload's text and buttons."""
    target = {"chat_id": chat_id, "message_id": message_id}
    params = _text_params(
        target, data["text"], html=data.get("html", True), markup=payload_markup(data)
    )
    await post(bot, "editMessageText", params)


def _text_params(
    target: dict[str, Any], text: str, *, html: bool, markup: dict[str, Any] | None
) -> dict[str, Any]:
    params = {**target, "text": text}
    if html:
        params["parse_mode"] = "HTML"
    if markup is not None:
        params["reply_markup"] = markup
    return params


async def send_payload(bot: Bot, chat_id: int, data: dict[str, Any]) -> Sent:
    """Photos and the pin go first; the text with its buttons last, so it is the message
    a manager replies to and presses."""
    photos = data.get("photos") or []
    if len(photos) == 1:
        await bot.send_photo(chat_id, photos[0])
    elif photos:
        await bot.send_media_group(chat_id, [InputMediaPhoto(p) for p in photos])
    if data.get("location"):
        latitude, longitude = data["location"]
        await bot.send_location(chat_id, latitude=latitude, longitude=longitude)
    document = data.get("document")
    if document and document.get("file_id"):  # a stored file, sent again by its id
        await bot.send_document(chat_id, document=document["file_id"])
    elif document:
        content = document["content"]
        sent = await bot.send_document(
            chat_id,
            document=content.encode() if isinstance(content, str) else content,
            filename=document["filename"],
            caption=data.get("text") or None,
        )
        newest.note(bot, chat_id, sent.message_id)
        return Sent(sent.message_id)
    return await send_text(
        bot, chat_id, data["text"], html=data.get("html", True), markup=payload_markup(data)
    )
