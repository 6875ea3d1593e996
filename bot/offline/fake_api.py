"""An in-process stand-in for the Telegram Bot API, plugged into python-telegram-bot as transport.

Wire it with ``ApplicationBuilder().token("123456:TEST").request(api).get_updates_request(api)``;
the bot then runs unchanged while every call is answered, recorded and stored here.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Message
from telegram.error import TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

JSONDict = dict[str, Any]
# Calls whose target chat can block the bot; edits of old messages are still allowed.
_SEND_METHODS = ("send", "copymessage", "forwardmessage")
_DEFAULT_ERRORS = {400: "Bad Request", 403: "Forbidden", 409: "Conflict", 429: "Too Many Requests"}


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
class _Fault:
    method: str  # lower-case method name or "*"
    error: ApiError | None = None
    exception: TelegramError | None = None


class FakeBotAPI(BaseRequest):
    """Answer Bot API calls in memory with realistic JSON; see the module docstring for wiring."""

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
        self._faults: list[_Fault] = []
        self._message_ids: dict[int, int] = defaultdict(int)
        self._file_seq = 0

    # -- transport -------------------------------------------------------------------------
    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open: the API lives in memory."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        if method == "GET":  # File.download_* fetches <base_file_url>/<file_path>
            await asyncio.sleep(self.delay)
            for stored in self.files.values():
                if url.endswith("/" + stored.file_path) and stored.content is not None:
                    return 200, stored.content
            return self._error_answer(ApiError(404, "Not Found"))
        name = url.rsplit("/", 1)[-1]
        params = json.loads(json.dumps(request_data.parameters)) if request_data else {}
        uploads = self._read_uploads(request_data)
        call = ApiCall(name, params, time.monotonic(), dict(uploads))
        self.calls.append(call)
        fault = self._take_fault(name)
        if name != "getUpdates":
            await asyncio.sleep(self.delay)
        try:
            if fault and fault.exception:
                raise fault.exception
            if fault and fault.error:
                raise fault.error
            result = await self._dispatch(name, params, uploads)
        except ApiError as exc:
            call.error = exc.description
            return self._error_answer(exc)
        except TelegramError as exc:
            call.error = exc.message
            raise
        return 200, json.dumps({"ok": True, "result": result}).encode()

    @staticmethod
    def _error_answer(exc: ApiError) -> tuple[int, bytes]:
        body: JSONDict = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.retry_after is not None:
            body["parameters"] = {"retry_after": exc.retry_after}
        return exc.code, json.dumps(body).encode()

    def _read_uploads(self, request_data: RequestData | None) -> dict[str, SentFile]:
        if not request_data or not request_data.contains_files:
            return {}
        uploads: dict[str, SentFile] = {}
        for part, (filename, content, mimetype) in request_data.multipart_data.items():
            data = content.read() if hasattr(content, "read") else content
            uploads[part] = self.add_file(
                "upload", bytes(data), file_name=filename, mime_type=mimetype
            )
        return uploads

    # -- fault injection -------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Answer the next call of `method` ("*" for any) with an error, e.g. 429 RetryAfter."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            prefix = _DEFAULT_ERRORS.get(error_code, "Error")
            description = f"{prefix}: retry after {retry_after}" if retry_after else prefix
        self._faults.append(
            _Fault(method.lower(), error=ApiError(error_code, description, retry_after))
        )

    def raise_next(self, method: str, exception: TelegramError | None = None) -> None:
        """Raise `exception` (default TimedOut) from the next call of `method`."""
        self._faults.append(_Fault(method.lower(), exception=exception or TimedOut()))

    def _take_fault(self, method: str) -> _Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.method in ("*", method.lower()):
                return self._faults.pop(index)
        return None

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

    def push_update(self, update: JSONDict) -> None:
        """Queue a raw update for getUpdates, for tests of polling itself."""
        self.pending_updates.append(update)

    # -- Bot API methods -------------------------------------------------------------------
    async def _dispatch(self, name: str, params: JSONDict, uploads: dict[str, SentFile]) -> Any:
        method = name.lower()
        if method == "getupdates":
            return await self._get_updates(params)
        handler = self._handlers().get(method)
        if handler is None:
            raise ApiError(400, f"Bad Request: method {name} not found")
        if method.startswith(_SEND_METHODS) and self._chat_id(params) in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return handler(params, uploads)

    def _handlers(self) -> dict[str, Callable[[JSONDict, dict[str, SentFile]], Any]]:
        def done(_p: JSONDict, _u: dict[str, SentFile]) -> bool:
            return True

        return {
            "getme": lambda p, u: self.bot_user,
            "sendmessage": self._send_message,
            "sendphoto": lambda p, u: self._send_file("photo", "sendPhoto", p, u),
            "senddocument": lambda p, u: self._send_file("document", "sendDocument", p, u),
            "sendlocation": self._send_location,
            "sendmediagroup": self._send_media_group,
            "copymessage": self._copy_message,
            "forwardmessage": self._forward_message,
            "editmessagetext": self._edit_text,
            "editmessagecaption": self._edit_caption,
            "editmessagereplymarkup": lambda p, u: self._edit(p),
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "deletemycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "setchatmenubutton": self._set_menu_button,
            "getchatmenubutton": lambda p, u: self.menu_buttons.get(
                p.get("chat_id"), {"type": "commands"}
            ),
            "getchat": self._get_chat,
            "getfile": self._get_file,
            "sendchataction": done,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._set_webhook,
            "getwebhookinfo": lambda p, u: {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self.pending_updates),
            },
            "close": done,
            "logout": done,
        }

    def _chat_id(self, params: JSONDict, key: str = "chat_id") -> int:
        value = params.get(key)
        if isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit()):
            return int(value)
        for chat in self.chats.values():
            if chat.get("username") and f"@{chat['username']}" == value:
                return int(chat["id"])
        raise ApiError(400, "Bad Request: chat not found")

    @staticmethod
    def _check_length(text: str | None, limit: int, what: str) -> None:
        if text is not None and len(text) > limit:
            raise ApiError(400, f"Bad Request: {what} is too long")

    @staticmethod
    def _check_markup(markup: JSONDict | None) -> None:
        for row in (markup or {}).get("inline_keyboard") or []:
            for button in row:
                if len(str(button.get("callback_data", "")).encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _store(self, params: JSONDict, method: str, **content: Any) -> SentMessage:
        chat_id = self._chat_id(params)
        self._check_length(content.get("caption"), 1024, "message caption")
        markup = params.get("reply_markup")
        self._check_markup(markup)
        reply_to_id = (params.get("reply_parameters") or {}).get("message_id")
        quoted: JSONDict | None = None
        if reply_to_id:
            bot_message = self.find(chat_id, reply_to_id)
            quoted = bot_message.to_dict() if bot_message else None
            quoted = quoted or self.user_messages.get((chat_id, reply_to_id))
            # Telegram never nests replies: the quoted message carries no reply of its own.
            if quoted:
                quoted = {k: v for k, v in quoted.items() if k != "reply_to_message"}
        message = SentMessage(
            message_id=self.next_message_id(chat_id),
            chat_id=chat_id,
            date=int(self.clock()),
            method=method,
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            reply_to_message_id=reply_to_id,
            chat=self.chat(chat_id),
            sender=self.bot_user,
            reply_to_message=quoted,
            **content,
        )
        self.sent[chat_id].append(message)
        return message

    def _file(self, kind: str, value: Any, uploads: dict[str, SentFile], part: str) -> SentFile:
        if isinstance(value, str) and value.startswith("attach://"):
            return uploads[value.removeprefix("attach://")]
        if value is None and part in uploads:
            return uploads[part]
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and value:  # a URL or a file_id we never saw: no content
            return self.add_file(kind, None, file_name=value.rsplit("/", 1)[-1], file_id=value)
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _send_message(self, params: JSONDict, _uploads: dict[str, SentFile]) -> JSONDict:
        text = params.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        self._check_length(text, 4096, "message")
        return self._store(params, "sendMessage", text=text).to_dict()

    def _send_file(
        self, kind: str, method: str, params: JSONDict, uploads: dict[str, SentFile]
    ) -> JSONDict:
        sent_file = self._file(kind, params.get(kind), uploads, kind)
        content = {"caption": params.get("caption"), kind: sent_file}
        return self._store(params, method, **content).to_dict()

    def _send_location(self, params: JSONDict, _uploads: dict[str, SentFile]) -> JSONDict:
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        return self._store(params, "sendLocation", location=location).to_dict()

    def _send_media_group(self, params: JSONDict, uploads: dict[str, SentFile]) -> list[JSONDict]:
        group_id = f"album-{len(self.calls)}"
        result = []
        for item in params.get("media") or []:
            kind = "photo" if item.get("type") == "photo" else "document"
            sent_file = self._file(kind, item.get("media"), uploads, "media")
            item_params = {**params, "parse_mode": item.get("parse_mode"), "reply_markup": None}
            message = self._store(
                item_params,
                "sendMediaGroup",
                caption=item.get("caption"),
                media_group_id=group_id,
                **{kind: sent_file},
            )
            result.append(message.to_dict())
        return result

    def _source(self, params: JSONDict) -> tuple[tuple[int, int], JSONDict]:
        key = (self._chat_id(params, "from_chat_id"), int(params["message_id"]))
        bot_message = self.find(*key)
        if bot_message and not bot_message.deleted:
            return key, bot_message.to_dict()
        if key in self.user_messages:
            return key, self.user_messages[key]
        raise ApiError(400, "Bad Request: message to copy not found")

    def _content_of(self, source: JSONDict) -> dict[str, Any]:
        content: dict[str, Any] = {
            k: source.get(k) for k in ("text", "caption", "location") if k in source
        }
        if source.get("photo"):
            content["photo"] = self._file("photo", source["photo"][-1]["file_id"], {}, "")
        if source.get("document"):
            content["document"] = self._file("document", source["document"]["file_id"], {}, "")
        return content

    def _copy_message(self, params: JSONDict, _uploads: dict[str, SentFile]) -> JSONDict:
        key, source = self._source(params)
        content = self._content_of(source)
        if "caption" in params:
            content["caption"] = params["caption"]
        message = self._store(params, "copyMessage", copied_from=key, **content)
        return {"message_id": message.message_id}

    def _forward_message(self, params: JSONDict, _uploads: dict[str, SentFile]) -> JSONDict:
        key, source = self._source(params)
        origin = {"type": "user", "sender_user": source.get("from"), "date": source["date"]}
        message = self._store(
            {**params, "reply_markup": None},
            "forwardMessage",
            copied_from=key,
            forward_origin=origin,
            **self._content_of(source),
        )
        return message.to_dict()

    def _edit(self, params: JSONDict, **changes: Any) -> JSONDict | bool:
        if params.get("inline_message_id"):
            return True
        message = self.find(self._chat_id(params), int(params.get("message_id") or 0))
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        changes["reply_markup"] = params.get("reply_markup")
        self._check_markup(changes["reply_markup"])
        if all(getattr(message, key) == value for key, value in changes.items()):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message.edited.append(
            {
                "text": message.text,
                "caption": message.caption,
                "parse_mode": message.parse_mode,
                "reply_markup": message.reply_markup,
                "date": message.edit_date or message.date,
            }
        )
        for key, value in changes.items():
            setattr(message, key, value)
        if len(changes) > 1:  # a text or caption edit brings its own parse_mode
            message.parse_mode = params.get("parse_mode")
        message.edit_date = int(self.clock())
        return message.to_dict()

    def _edit_text(self, params: JSONDict, _uploads: dict[str, SentFile]) -> JSONDict | bool:
        target = self.find(self._chat_id(params), int(params.get("message_id") or 0))
        if target is not None and target.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        self._check_length(params.get("text"), 4096, "message")
        return self._edit(params, text=params.get("text"))

    def _edit_caption(self, params: JSONDict, _uploads: dict[str, SentFile]) -> JSONDict | bool:
        target = self.find(self._chat_id(params), int(params.get("message_id") or 0))
        if target is not None and target.text is not None:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        return self._edit(params, caption=params.get("caption"))

    def _delete_message(self, params: JSONDict, _uploads: dict[str, SentFile]) -> bool:
        chat_id, message_id = self._chat_id(params), int(params["message_id"])
        message = self.find(chat_id, message_id)
        if message is not None and not message.deleted:
            message.deleted = True
            return True
        if self.user_messages.pop((chat_id, message_id), None) is not None:
            return True
        raise ApiError(400, "Bad Request: message to delete not found")

    def _answer_callback_query(self, params: JSONDict, _uploads: dict[str, SentFile]) -> bool:
        query_id = str(params["callback_query_id"])
        if query_id in self.callback_answers:  # Telegram accepts exactly one answer per query
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        self.callback_answers[query_id] = CallbackAnswer(
            query_id, params.get("text"), bool(params.get("show_alert")), params.get("url")
        )
        return True

    def _set_my_commands(self, params: JSONDict, _uploads: dict[str, SentFile]) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        key = (scope, params.get("language_code") or "")
        if params.get("commands"):
            self.commands[key] = params["commands"]
        else:  # deleteMyCommands
            self.commands.pop(key, None)
        return True

    def _get_my_commands(self, params: JSONDict, _uploads: dict[str, SentFile]) -> list[JSONDict]:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        return self.commands.get((scope, params.get("language_code") or ""), [])

    def _set_menu_button(self, params: JSONDict, _uploads: dict[str, SentFile]) -> bool:
        self.menu_buttons[params.get("chat_id")] = params.get("menu_button") or {"type": "default"}
        return True

    def _get_chat(self, params: JSONDict, _uploads: dict[str, SentFile]) -> JSONDict:
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **self.chat(self._chat_id(params)),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def _get_file(self, params: JSONDict, _uploads: dict[str, SentFile]) -> JSONDict:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content or b""),
            "file_path": stored.file_path,
        }

    def _set_webhook(self, params: JSONDict, _uploads: dict[str, SentFile]) -> bool:
        self.webhook_url = params.get("url") or ""
        return True

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        offset = int(params.get("offset") or 0)
        self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]
        # Wait like long polling, but briefly, so Updater.stop() returns fast; never spin.
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), self.poll_interval)
        while True:
            await asyncio.sleep(0.01)
            if self.pending_updates or time.monotonic() >= deadline:
                return self.pending_updates[: int(params.get("limit") or 100)]
