"""The Bot API methods of the offline stand-in: each call answered from, and recorded in, the
state that `FakeBotAPI` holds (a mixin, so the transport and the methods read apart)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from bot.offline.records import (
    ApiError,
    CallbackAnswer,
    JSONDict,
    SentFile,
    SentMessage,
)
from bot.offline.store import BotStore

# Calls whose target chat can block the bot; edits of old messages are still allowed.
_SEND_METHODS = ("send", "copymessage", "forwardmessage")


class BotMethods(BotStore):
    """The methods, answered from and recorded in the store."""

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
