"""The simulated chats: a user (who types, sends files, presses buttons) and a group, each
reading what the bot sent them through the offline Bot API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.offline.fake_api import CallbackAnswer, JSONDict, SentMessage

if TYPE_CHECKING:  # the simulator creates the chats; they only need its type
    from bot.offline.simulator import Simulator

_FAKE_JPEG = b"\xff\xd8\xff\xe0 fake jpeg \xff\xd9"
_FAKE_PDF = b"%PDF-1.4\n% fake\n%%EOF\n"


def text_content(text: str) -> JSONDict:
    """A text message's content, with the entity Telegram adds to a leading command."""
    content: JSONDict = {"text": text}
    if text.startswith("/"):  # what Telegram adds so CommandHandler recognises the command
        command = text.split(maxsplit=1)[0]
        length = len(command.encode("utf-16-le")) // 2
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return content


class SimChat:
    """One chat as seen by the simulated users: build their messages, read the bot's."""

    def __init__(self, sim: Simulator, chat: JSONDict) -> None:
        self.sim, self.chat = sim, chat
        self.chat_id: int = chat["id"]
        sim.api.chats[self.chat_id] = chat

    def build_message(self, sender: JSONDict | None, **content: Any) -> JSONDict:
        message: JSONDict = {
            "message_id": self.sim.api.next_message_id(self.chat_id),
            "chat": self.chat,
            "date": int(self.sim.clock()),
        }
        if sender is not None:
            message["from"] = sender
        message.update(content)
        self.sim.api.record_user_message(message)
        return message

    async def deliver(self, payload: JSONDict, *, wait: bool = True) -> list[SentMessage]:
        """Deliver `payload`; return the bot messages this chat received meanwhile."""
        before = len(self.sim.api.sent.get(self.chat_id, []))
        if not wait:
            self.sim.enqueue(payload)
            return []
        await self.sim.deliver(payload)
        return [m for m in self.sim.api.sent.get(self.chat_id, [])[before:] if not m.deleted]

    # -- reading the bot's messages ---------------------------------------------------------
    @property
    def messages(self) -> list[SentMessage]:
        """The bot's messages in this chat that are not deleted, oldest first."""
        return self.sim.api.messages(self.chat_id)

    @property
    def last(self) -> SentMessage:
        messages = self.messages
        assert messages, f"the bot has sent nothing (visible) to chat {self.chat_id}"
        return messages[-1]

    def texts(self) -> list[str]:
        return [m.text if m.text is not None else (m.caption or "") for m in self.messages]

    def buttons(self, message: SentMessage | None = None) -> list[str]:
        """Inline button labels of `message`, else of the newest message with a keyboard."""
        if message is None:
            message = next((m for m in reversed(self.messages) if m.inline_buttons), None)
        return [button["text"] for button in message.inline_buttons] if message else []

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Rows of the reply keyboard currently shown, None if none or removed."""
        for message in reversed(self.messages):
            markup = message.reply_markup or {}
            if markup.get("remove_keyboard"):
                return None
            if "keyboard" in markup:
                return [
                    [b["text"] if isinstance(b, dict) else str(b) for b in row]
                    for row in markup["keyboard"]
                ]
        return None

    def find_button(
        self, label: str, message: SentMessage | None = None
    ) -> tuple[SentMessage, JSONDict]:
        """Find a button by exact label, newest message first, else by case-free substring."""
        candidates = [message] if message else list(reversed(self.messages))
        for target in candidates:
            for button in target.inline_buttons:
                if button["text"] == label:
                    return target, button
        wanted = label.casefold()
        for target in candidates:
            matches = [b for b in target.inline_buttons if wanted in b["text"].casefold()]
            if len(matches) == 1:
                return target, matches[0]
            if matches:
                found = [b["text"] for b in matches]
                raise AssertionError(f"button {label!r} is ambiguous: {found}")
        available = {m.message_id: self.buttons(m) for m in candidates if m.inline_buttons}
        raise AssertionError(
            f"no button {label!r} in chat {self.chat_id}; buttons by message id: {available}"
        )

    async def _press(
        self, sender: JSONDict, label: str, message: SentMessage | None, wait: bool
    ) -> CallbackAnswer | None:
        target, button = self.find_button(label, message)
        if "callback_data" not in button:
            raise AssertionError(f"button {label!r} sends no callback data: {button}")
        return await self._press_data(sender, button["callback_data"], target, wait)

    async def _press_data(
        self, sender: JSONDict, data: str, message: SentMessage | None, wait: bool
    ) -> CallbackAnswer | None:
        target = (
            message
            or next((m for m in reversed(self.messages) if m.inline_buttons), None)
            or self.last
        )
        query_id = self.sim.next_query_id()
        query = {
            "id": query_id,
            "from": sender,
            "chat_instance": str(self.chat_id),
            "data": data,
            "message": target.to_dict(),
        }
        await self.deliver({"callback_query": query}, wait=wait)
        return self.sim.api.callback_answers.get(query_id)


class SimUser(SimChat):
    """A resident in a private chat with the bot (chat id == user id)."""

    def __init__(self, sim: Simulator, user: JSONDict) -> None:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        chat.update({k: user[k] for k in ("last_name", "username") if k in user})
        super().__init__(sim, chat)
        self.user = user
        self.user_id: int = user["id"]

    async def _say(self, content: JSONDict, *, wait: bool = True) -> list[SentMessage]:
        return await self.deliver({"message": self.build_message(self.user, **content)}, wait=wait)

    async def send(self, text: str) -> list[SentMessage]:
        """Send a text; "/start payload" style texts carry the bot_command entity."""
        return await self._say(text_content(text))

    async def send_nowait(self, text: str) -> None:
        await self._say(text_content(text), wait=False)

    async def press_reply(self, label: str) -> list[SentMessage]:
        """Tap a reply-keyboard button, which Telegram sends as its label."""
        labels = [b for row in self.reply_keyboard or [] for b in row]
        assert label in labels, f"no reply-keyboard button {label!r}; shown: {labels}"
        return await self.send(label)

    async def send_location(self, latitude: float, longitude: float) -> list[SentMessage]:
        return await self._say({"location": {"latitude": latitude, "longitude": longitude}})

    def _photo(self, file_id: str | None, content: bytes) -> list[JSONDict]:
        big = self.sim.api.add_file("photo", content, file_id=file_id, mime_type="image/jpeg")
        thumb = self.sim.api.add_file("photo", content, file_id=f"{big.file_id}-thumb")
        return [
            {
                "file_id": thumb.file_id,
                "file_unique_id": thumb.file_unique_id,
                "width": 90,
                "height": 68,
                "file_size": len(content),
            },
            {
                "file_id": big.file_id,
                "file_unique_id": big.file_unique_id,
                "width": 1280,
                "height": 960,
                "file_size": len(content),
            },
        ]

    async def send_photo(
        self,
        file_id: str | None = None,
        caption: str | None = None,
        *,
        content: bytes = _FAKE_JPEG,
    ) -> list[SentMessage]:
        extra = {"caption": caption} if caption is not None else {}
        return await self._say({"photo": self._photo(file_id, content), **extra})

    async def send_document(
        self,
        content: bytes = _FAKE_PDF,
        *,
        file_name: str = "dokument.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        file_id: str | None = None,
    ) -> list[SentMessage]:
        stored = self.sim.api.add_file(
            "document", content, file_name=file_name, mime_type=mime_type, file_id=file_id
        )
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        extra = {"caption": caption} if caption is not None else {}
        return await self._say({"document": document, **extra})

    async def send_sticker(self, emoji: str = "👍") -> list[SentMessage]:
        stored = self.sim.api.add_file("sticker", b"RIFF fake webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
            "emoji": emoji,
        }
        return await self._say({"sticker": sticker})

    async def send_voice(self, duration: int = 3) -> list[SentMessage]:
        stored = self.sim.api.add_file("voice", b"OggS fake", mime_type="audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
        }
        return await self._say({"voice": voice})

    async def send_contact(
        self, phone: str, *, first_name: str | None = None, own: bool = True
    ) -> list[SentMessage]:
        """Share a contact; `own` (as the request_contact button does) links it to this user."""
        contact: JSONDict = {
            "phone_number": phone,
            "first_name": first_name or self.user["first_name"],
        }
        if own:
            contact["user_id"] = self.user_id
        return await self._say({"contact": contact})

    @staticmethod
    def _quoted(message: SentMessage) -> JSONDict:
        return {k: v for k, v in message.to_dict().items() if k != "reply_to_message"}

    async def reply_to(self, message: SentMessage, text: str) -> list[SentMessage]:
        """Answer a bot message with Telegram's reply function."""
        return await self._say({"reply_to_message": self._quoted(message), **text_content(text)})

    async def reply_photo_to(
        self, message: SentMessage, file_id: str | None = None, caption: str | None = None
    ) -> list[SentMessage]:
        extra = {"caption": caption} if caption is not None else {}
        photo = self._photo(file_id, _FAKE_JPEG)
        return await self._say(
            {"reply_to_message": self._quoted(message), "photo": photo, **extra}
        )

    async def press(
        self, label: str, *, message: SentMessage | None = None
    ) -> CallbackAnswer | None:
        """Press an inline button by label; return the bot's CallbackAnswer, if it answered."""
        return await self._press(self.user, label, message, True)

    async def press_nowait(self, label: str, *, message: SentMessage | None = None) -> None:
        await self._press(self.user, label, message, False)

    async def press_data(
        self, data: str, *, message: SentMessage | None = None
    ) -> CallbackAnswer | None:
        """Send callback data of our choosing, e.g. forged or stale, from `message`."""
        return await self._press_data(self.user, data, message, True)


class SimGroup(SimChat):
    """A group chat in which several simulated users talk to the bot."""

    async def send(self, user: SimUser, text: str) -> list[SentMessage]:
        return await self.deliver({"message": self.build_message(user.user, **text_content(text))})

    async def send_nowait(self, user: SimUser, text: str) -> None:
        message = self.build_message(user.user, **text_content(text))
        await self.deliver({"message": message}, wait=False)

    async def press(
        self, user: SimUser, label: str, *, message: SentMessage | None = None
    ) -> CallbackAnswer | None:
        return await self._press(user.user, label, message, True)
