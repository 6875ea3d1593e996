"""Act as Telegram users against a running Application wired to a FakeBotAPI.

    async with running(app):
        sim = Simulator(app, api)
        erika = sim.user(1001)
        await erika.send("/start")
        await erika.press("Deutsch")
        assert "Willkommen" in erika.last.plain_text

Every awaited action returns once the update and all work it started through the application
(handler tasks, `application.create_task`) has finished; `*_nowait` variants only enqueue and
`await sim.settle()` waits for everything.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import Application, ExtBot

from bot.offline.fake_api import CallbackAnswer, FakeBotAPI, JSONDict, SentMessage

_FAKE_JPEG = b"\xff\xd8\xff\xe0 fake jpeg \xff\xd9"
_FAKE_PDF = b"%PDF-1.4\n% fake\n%%EOF\n"


@asynccontextmanager
async def running(app: Application, *, run_hooks: bool = True) -> AsyncIterator[Application]:
    """Initialize and start `app`, then stop and shut it down, like run_polling minus polling."""
    await app.initialize()
    try:
        if run_hooks and app.post_init:
            await app.post_init(app)
        await app.start()
        try:
            yield app
        finally:
            await app.stop()
            if run_hooks and app.post_stop:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if run_hooks and app.post_shutdown:
            await app.post_shutdown(app)


class Simulator:
    """Deliver user updates to `app` and wait until they are fully processed."""

    def __init__(
        self,
        app: Application,
        api: FakeBotAPI,
        *,
        via_queue: bool = True,
        clock: Callable[[], float] | None = None,
        settle_timeout: float = 10.0,
        ignore_task: Callable[[asyncio.Task[Any]], bool] | None = None,
    ) -> None:
        self.app, self.api = app, api
        # Through the queue updates pass the update processor, as with polling or a webhook.
        self.via_queue = via_queue
        self.clock = clock or api.clock or time.time
        self.settle_timeout = settle_timeout
        # Long-lived tasks started with application.create_task would never let settle() end.
        self.ignore_task = ignore_task or (lambda task: False)
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._users: dict[int, SimUser] = {}
        self._direct_tasks: set[asyncio.Task[None]] = set()

    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Erika",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "de",
    ) -> SimUser:
        """Return the simulated user `user_id`; its private chat has the same id."""
        if user_id not in self._users:
            data: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
            optional = {"last_name": last_name, "username": username}
            optional["language_code"] = language_code
            data.update({key: value for key, value in optional.items() if value is not None})
            self._users[user_id] = SimUser(self, data)
        return self._users[user_id]

    def group(self, chat_id: int, title: str, *, supergroup: bool | None = None) -> SimGroup:
        """Return a group chat; ids below -10**12 are supergroups, as on Telegram."""
        is_super = chat_id < -(10**12) if supergroup is None else supergroup
        chat = {"id": chat_id, "type": "supergroup" if is_super else "group", "title": title}
        return SimGroup(self, chat)

    async def channel_post(
        self, chat_id: int, text: str, *, title: str = "Kanal"
    ) -> list[SentMessage]:
        """Deliver a post in a channel where the bot is an administrator."""
        channel = SimChat(self, {"id": chat_id, "type": "channel", "title": title})
        message = channel.build_message(None, sender_chat=channel.chat, **_text(text))
        return await channel.deliver({"channel_post": message})

    # -- delivery -----------------------------------------------------------------------------
    def enqueue(self, payload: JSONDict) -> Update:
        """Turn `payload` (e.g. {"message": ...}) into an Update and hand it over, not waiting."""
        if not self.app.running:
            raise RuntimeError("start the application first, e.g. `async with running(app)`")
        data = {"update_id": next(self._update_ids), **payload}
        update = Update.de_json(data, self.app.bot)
        if isinstance(self.app.bot, ExtBot):  # as Updater does: resolve arbitrary callback data
            self.app.bot.insert_callback_data(update)
        if self.via_queue:
            self.app.update_queue.put_nowait(update)
        else:
            task = asyncio.create_task(self.app.process_update(update))
            self._direct_tasks.add(task)
            task.add_done_callback(self._direct_tasks.discard)
        return update

    async def deliver(self, payload: JSONDict) -> Update:
        update = self.enqueue(payload)
        await self.settle()
        return update

    async def settle(self, within: float | None = None) -> None:
        """Wait until every delivered update and every task it started has finished."""
        limit = self.settle_timeout if within is None else within
        try:
            async with asyncio.timeout(limit):
                while not await self._settled_once():
                    pass
        except TimeoutError:
            names = sorted(task.get_name() for task in self._pending_tasks())
            raise AssertionError(
                f"updates did not settle within {limit}s; queue={self.app.update_queue.qsize()}"
                f", pending tasks={names} (pass ignore_task= for long-lived tasks)"
            ) from None

    async def _settled_once(self) -> bool:
        # task_done() is called after the processor returned, so join() covers blocking handlers
        await self.app.update_queue.join()
        processor_idle = getattr(self.app.update_processor, "idle", None)
        if processor_idle is not None:
            await processor_idle()
        pending = self._pending_tasks()
        if pending:
            await asyncio.wait(pending)
            return False
        await asyncio.sleep(0)  # let callbacks that just finished schedule follow-up work
        in_flight = getattr(self.app.update_processor, "in_flight", 0)
        return not self._pending_tasks() and self.app.update_queue.empty() and not in_flight

    def _pending_tasks(self) -> set[asyncio.Task[Any]]:
        # Application keeps no public handle on create_task tasks (checked with PTB 22.8).
        app_tasks: set[asyncio.Task[Any]] = getattr(
            self.app, "_Application__create_task_tasks", set()
        )
        current = asyncio.current_task()
        return {
            task
            for task in app_tasks | self._direct_tasks
            if not task.done() and task is not current and not self.ignore_task(task)
        }

    def next_query_id(self) -> str:
        return str(9_000_000 + next(self._query_ids))


def _text(text: str) -> JSONDict:
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

    async def _say(self, wait: bool = True, **content: Any) -> list[SentMessage]:
        return await self.deliver({"message": self.build_message(self.user, **content)}, wait=wait)

    async def send(self, text: str) -> list[SentMessage]:
        """Send a text; "/start payload" style texts carry the bot_command entity."""
        return await self._say(**_text(text))

    async def send_nowait(self, text: str) -> None:
        await self._say(wait=False, **_text(text))

    async def press_reply(self, label: str) -> list[SentMessage]:
        """Tap a reply-keyboard button, which Telegram sends as its label."""
        labels = [b for row in self.reply_keyboard or [] for b in row]
        assert label in labels, f"no reply-keyboard button {label!r}; shown: {labels}"
        return await self.send(label)

    async def send_location(self, latitude: float, longitude: float) -> list[SentMessage]:
        return await self._say(location={"latitude": latitude, "longitude": longitude})

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
        return await self._say(photo=self._photo(file_id, content), **extra)

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
        return await self._say(document=document, **extra)

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
        return await self._say(sticker=sticker)

    async def send_voice(self, duration: int = 3) -> list[SentMessage]:
        stored = self.sim.api.add_file("voice", b"OggS fake", mime_type="audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
        }
        return await self._say(voice=voice)

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
        return await self._say(contact=contact)

    @staticmethod
    def _quoted(message: SentMessage) -> JSONDict:
        return {k: v for k, v in message.to_dict().items() if k != "reply_to_message"}

    async def reply_to(self, message: SentMessage, text: str) -> list[SentMessage]:
        """Answer a bot message with Telegram's reply function."""
        return await self._say(reply_to_message=self._quoted(message), **_text(text))

    async def reply_photo_to(
        self, message: SentMessage, file_id: str | None = None, caption: str | None = None
    ) -> list[SentMessage]:
        extra = {"caption": caption} if caption is not None else {}
        photo = self._photo(file_id, _FAKE_JPEG)
        return await self._say(reply_to_message=self._quoted(message), photo=photo, **extra)

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
        return await self.deliver({"message": self.build_message(user.user, **_text(text))})

    async def send_nowait(self, user: SimUser, text: str) -> None:
        message = self.build_message(user.user, **_text(text))
        await self.deliver({"message": message}, wait=False)

    async def press(
        self, user: SimUser, label: str, *, message: SentMessage | None = None
    ) -> CallbackAnswer | None:
        return await self._press(user.user, label, message, True)
