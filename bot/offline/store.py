"""The state of the offline Bot API stand-in: chats, sent messages, files, answers, and the
helpers the simulator and tests read it with."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable

from bot.offline.records import (
    ApiCall,
    CallbackAnswer,
    Fault,
    JSONDict,
    SentFile,
    SentMessage,
)


class BotStore:
    """What the fake Telegram holds; the methods (`BotMethods`) answer from it."""

    def __init__(
        self,
        *,
        delay: float = 0.0,
        bot_id: int = 123456,
        clock: Callable[[], float] = time.time,
        poll_interval: float = 0.2,
    ) -> None:
        self.delay = delay  # seconds per call, to imitate the round trip to Telegram
        self.clock = clock
        self.poll_interval = poll_interval  # longest empty getUpdates wait, to keep stops fast
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Bezirksbot",
            "username": "BezirksbotTestBot",
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[ApiCall] = []
        self.sent: dict[int, list[SentMessage]] = defaultdict(list)
        self.user_messages: dict[tuple[int, int], JSONDict] = {}
        self.chats: dict[int, JSONDict] = {}
        self.files: dict[str, SentFile] = {}
        self.blocked: set[int] = set()
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self.webhook_url = ""
        self.pending_updates: list[JSONDict] = []  # served by getUpdates, for polling tests
        self._faults: list[Fault] = []
        self._message_ids: dict[int, int] = defaultdict(int)
        self._file_seq = 0

    # -- store helpers used by the simulator and tests -------------------------------------
    def next_message_id(self, chat_id: int) -> int:
        """Return the next message id of a chat; bot and user messages share the counter."""
        self._message_ids[chat_id] += 1
        return self._message_ids[chat_id]

    def chat(self, chat_id: int) -> JSONDict:
        if chat_id not in self.chats:
            self.chats[chat_id] = (
                {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
                if chat_id > 0
                else {"id": chat_id, "type": "group", "title": f"Group {chat_id}"}
            )
        return self.chats[chat_id]

    def add_file(
        self,
        kind: str,
        content: bytes | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_id: str | None = None,
    ) -> SentFile:
        """Store a file so getFile and downloads find it; used for uploads of both sides."""
        self._file_seq += 1
        suffix = ("." + file_name.rsplit(".", 1)[-1]) if file_name and "." in file_name else ""
        stored = SentFile(
            file_id=file_id or f"fake-{kind}-{self._file_seq}",
            file_unique_id=f"u{self._file_seq}",
            file_path=f"fake-files/{kind}/file_{self._file_seq}{suffix}",
            file_name=file_name,
            mime_type=mime_type,
            content=content,
        )
        self.files[stored.file_id] = stored
        return stored

    def record_user_message(self, message: JSONDict) -> None:
        """Remember a user's message so replies, copies and forwards can quote it."""
        self.user_messages[(message["chat"]["id"], message["message_id"])] = message

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[SentMessage]:
        return [m for m in self.sent.get(chat_id, []) if include_deleted or not m.deleted]

    def find(self, chat_id: int, message_id: int) -> SentMessage | None:
        return next((m for m in self.sent.get(chat_id, []) if m.message_id == message_id), None)

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def commands_for(self, language_code: str = "", scope: JSONDict | None = None) -> list[str]:
        """Return the command names set for a scope (default scope) and language."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return [command["command"] for command in self.commands.get(key, [])]

    def chat_menu(self, chat_id: int) -> list[tuple[str, str]]:
        """The (command, description) pairs set for one chat's scope (empty: none of its own,
        Telegram shows the default menu)."""
        key = (json.dumps({"type": "chat", "chat_id": chat_id}, sort_keys=True), "")
        return [(c["command"], c["description"]) for c in self.commands.get(key, [])]

    def push_update(self, update: JSONDict) -> None:
        """Queue a raw update for getUpdates, for tests of polling itself."""
        self.pending_updates.append(update)
