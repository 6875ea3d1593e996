"""What the offline Bot API stand-in records: calls, sent messages and files, callback
answers, and the errors it answers with."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from telegram import Message
from telegram.error import TelegramError

JSONDict = dict[str, Any]


class ApiError(Exception):
    """An error answer of the fake API; turned into ``{"ok": false, ...}`` by the transport."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


@dataclass
class ApiCall:
    method: str
    params: JSONDict
    time: float  # time.monotonic() when the call arrived
    files: dict[str, SentFile] = field(default_factory=dict)
    error: str | None = None  # description of the error answer, if any


@dataclass
class SentFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    content: bytes | None = None  # None when sent by URL or by an unknown file_id


@dataclass
class CallbackAnswer:
    callback_query_id: str
    text: str | None = None
    show_alert: bool = False
    url: str | None = None


@dataclass
class SentMessage:
    """A message the bot sent, as Telegram stores it; edits update it in place."""

    message_id: int
    chat_id: int
    date: int
    method: str
    text: str | None = None  # as sent: markup is not parsed, see `plain_text`
    caption: str | None = None
    parse_mode: str | None = None
    reply_markup: JSONDict | None = None
    photo: SentFile | None = None
    document: SentFile | None = None
    location: JSONDict | None = None
    reply_to_message_id: int | None = None
    media_group_id: str | None = None
    copied_from: tuple[int, int] | None = None  # (chat_id, message_id) for copy/forward
    edited: list[JSONDict] = field(default_factory=list)  # earlier versions, oldest first
    edit_date: int | None = None
    deleted: bool = False
    chat: JSONDict = field(default_factory=dict, repr=False)
    sender: JSONDict = field(default_factory=dict, repr=False)
    reply_to_message: JSONDict | None = field(default=None, repr=False)
    forward_origin: JSONDict | None = field(default=None, repr=False)

    @property
    def plain_text(self) -> str:
        """Return text or caption with HTML tags and Markdown escapes removed, for asserts."""
        raw = self.text if self.text is not None else (self.caption or "")
        if (self.parse_mode or "").upper() == "HTML":
            return html.unescape(re.sub(r"<[^>]+>", "", raw))
        if (self.parse_mode or "").lower().startswith("markdown"):
            return re.sub(r"\\(.)", r"\1", raw)
        return raw

    @property
    def inline_buttons(self) -> list[JSONDict]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def to_dict(self) -> JSONDict:
        """Return the message as the Bot API would serialise it."""
        data: JSONDict = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        optional = {
            "text": self.text,
            "caption": self.caption,
            "location": self.location,
            "edit_date": self.edit_date,
            "media_group_id": self.media_group_id,
            "reply_to_message": self.reply_to_message,
            "forward_origin": self.forward_origin,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        if self.photo:
            size = len(self.photo.content or b"") or 1024
            data["photo"] = [
                {
                    "file_id": self.photo.file_id,
                    "file_unique_id": self.photo.file_unique_id,
                    "width": 1280,
                    "height": 960,
                    "file_size": size,
                }
            ]
        if self.document:
            doc = self.document
            document = {
                "file_id": doc.file_id,
                "file_unique_id": doc.file_unique_id,
                "file_name": doc.file_name,
                "mime_type": doc.mime_type,
                "file_size": len(doc.content or b"") or None,
            }
            data["document"] = {key: value for key, value in document.items() if value}
        # Telegram only echoes inline keyboards; reply keyboards are not part of a Message.
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data

    def to_message(self, bot: Any = None) -> Message:
        return Message.de_json(self.to_dict(), bot)


@dataclass
class Fault:
    method: str  # lower-case method name or "*"
    error: ApiError | None = None
    exception: TelegramError | None = None
