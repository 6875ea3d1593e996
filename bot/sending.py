"""Sending one stored payload through the Bot API, and the pace of all sends: the parts of
the outbox's delivery that handlers use too (`send_payload` for a reply built as a payload).
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Any

from telegram import Bot, InputMediaPhoto, Message
from telegram.constants import ParseMode

from bot.keyboards import from_payload, reply_keyboard

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


async def send_payload(bot: Bot, chat_id: int, data: dict[str, Any]) -> Message:
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
        return await bot.send_document(
            chat_id,
            document=content.encode() if isinstance(content, str) else content,
            filename=document["filename"],
            caption=data.get("text") or None,
        )
    return await bot.send_message(
        chat_id,
        data["text"],
        parse_mode=ParseMode.HTML if data.get("html", True) else None,
        reply_markup=from_payload(data.get("buttons")) or reply_keyboard(data.get("keyboard")),
    )
