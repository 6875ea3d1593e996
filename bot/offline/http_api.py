"""The offline Bot API stand-in behind a real HTTP port, for a bot running as its own process.

    python -m bot.offline.http_api --port 8081
    TELEGRAM_BOT_TOKEN=123456:TEST TELEGRAM_API_BASE_URL=http://127.0.0.1:8081 bezirksbot run

Every `POST /bot<token>/<method>` (JSON, form or multipart body, as python-telegram-bot's
HTTPXRequest sends them) is answered by an in-process `FakeBotAPI`; `GET /file/bot<token>/<path>`
serves stored files. `getUpdates` long-polls like Telegram: updates stay queued until a later
call confirms them with `offset`, so a bot killed before confirming gets them again.

A small control API lets a driver (a test, a script, curl) act as the users:

    POST /_control/push            an update, e.g. {"message": {...}}; the server fills in
                                   update_id, and for a message its message_id, date and chat
    GET  /_control/sent?chat_id=N  what the bot sent to chat N ([&since=K]: from index K on)
    GET  /_control/calls?method=M  the recorded Bot API calls (optionally of one method)
    GET  /_control/pending         updates not yet confirmed by the bot

Only the standard library is used: an HTTP/1.1 server on asyncio streams (keep-alive,
Content-Length and chunked bodies).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from telegram.error import TelegramError

from bot.offline.fake_api import FakeBotAPI, JSONDict, SentMessage
from bot.offline.http_wire import (
    LONG_POLL_MAX,
    HttpError,
    HttpRequest,
    HttpResponse,
    encode_response,
    read_request,
    request_data_from_http,
)

log = logging.getLogger(__name__)


# --- the server -------------------------------------------------------------------------------
class BotApiServer:
    """Serve a FakeBotAPI over HTTP on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        api: FakeBotAPI | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        long_poll_max: float = LONG_POLL_MAX,
    ) -> None:
        self.api = api or FakeBotAPI()
        # getUpdates waits as long as the bot asks (up to long_poll_max), like Telegram.
        self.api.poll_interval = long_poll_max
        self.host, self.port, self.token = host, port, token
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[Any]] = set()
        self._last_update_id = 0  # ids keep rising, also past ids a caller chose
        self._query_ids = itertools.count(1)
        self.requests = 0
        self.update_deliveries: Counter[int] = Counter()  # update_id -> times handed out
        self.first_handed_out: dict[int, float] = {}  # update_id -> time.monotonic()
        # Told each Bot API call (method, parameters) before it is answered: tests use it to
        # notice a start or to act at a chosen moment.
        self.on_call: Callable[[str, JSONDict], None] | None = None

    @property
    def url(self) -> str:
        """The value for TELEGRAM_API_BASE_URL."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> BotApiServer:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("Bot API stand-in listens on %s", self.url)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> BotApiServer:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # -- updates the users send ------------------------------------------------------------
    def push(self, payload: JSONDict) -> int:
        """Queue an update for getUpdates; fills in what Telegram would. Returns update_id."""
        update = dict(payload)
        update.setdefault("update_id", self._last_update_id + 1)
        self._last_update_id = max(self._last_update_id, int(update["update_id"]))
        message = update.get("message")
        if isinstance(message, dict):
            self._complete_message(message)
        query = update.get("callback_query")
        if isinstance(query, dict):
            query.setdefault("id", str(7_000_000 + next(self._query_ids)))
            sender = query.get("from") or {}
            query.setdefault("chat_instance", str(sender.get("id", 0)))
        self.api.push_update(update)
        return int(update["update_id"])

    def _complete_message(self, message: JSONDict) -> None:
        sender = message.get("from")
        if "chat" not in message and isinstance(sender, dict):
            message["chat"] = {
                "id": sender["id"],
                "type": "private",
                "first_name": sender.get("first_name", "User"),
            }
        chat = message.get("chat")
        if not isinstance(chat, dict):
            return
        self.api.chats.setdefault(chat["id"], chat)
        message.setdefault("message_id", self.api.next_message_id(chat["id"]))
        message.setdefault("date", int(self.api.clock()))
        text = message.get("text")
        if isinstance(text, str) and text.startswith("/") and "entities" not in message:
            command = text.split(maxsplit=1)[0]
            length = len(command.encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self.api.record_user_message(message)

    # -- connections ------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                try:
                    request = await read_request(reader)
                except HttpError as exc:
                    writer.write(
                        encode_response(_json_error(exc.status, exc.description), keep_alive=False)
                    )
                    await writer.drain()
                    return
                if request is None:
                    return
                self.requests += 1
                try:
                    response = await self.handle(request)
                except HttpError as exc:
                    response = _json_error(exc.status, exc.description)
                writer.write(encode_response(response, keep_alive=request.keep_alive))
                await writer.drain()
                if not request.keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return  # the client went away (a killed bot does that mid-request)
        except asyncio.CancelledError:
            return  # stop(): asyncio's stream callback would log a cancelled handler as an error
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def handle(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith("/_control/"):
            return await self._control(request, path.removeprefix("/_control/"))
        if path.startswith("/file/bot"):
            return await self._file(request, path)
        if path.startswith("/bot"):
            return await self._bot_method(request, path)
        raise HttpError(404, "Not Found")

    def _check_token(self, token: str) -> None:
        if self.token is not None and token != self.token:
            raise HttpError(401, "Unauthorized")

    async def _bot_method(self, request: HttpRequest, path: str) -> HttpResponse:
        token, _, method = path.removeprefix("/bot").partition("/")
        self._check_token(token)
        if not method or "/" in method:
            raise HttpError(404, "Not Found: method not found")
        if request.method not in ("GET", "POST"):
            raise HttpError(405, "Method Not Allowed")
        data = request_data_from_http(request)
        if self.on_call is not None:
            self.on_call(method, data.parameters)
        try:
            status, body = await self.api.do_request(
                f"{self.url}/bot{token}/{method}", "POST", data
            )
        except TelegramError as exc:  # an injected fault (raise_next): a broken gateway
            return _json_error(502, f"Bad Gateway: {exc.message}")
        if status == 200 and method.lower() == "getupdates":
            now = time.monotonic()
            for update in json.loads(body)["result"]:
                self.update_deliveries[update["update_id"]] += 1
                self.first_handed_out.setdefault(update["update_id"], now)
        return HttpResponse(status, body)

    async def _file(self, request: HttpRequest, path: str) -> HttpResponse:
        token, _, file_path = path.removeprefix("/file/bot").partition("/")
        self._check_token(token)
        status, body = await self.api.do_request(f"{self.url}/file/bot{token}/{file_path}", "GET")
        if status != 200:
            return HttpResponse(status, body)
        return HttpResponse(200, body, content_type="application/octet-stream")

    async def _control(self, request: HttpRequest, name: str) -> HttpResponse:
        if name == "push" and request.method == "POST":
            try:
                payload = json.loads(request.body or b"{}")
            except ValueError:
                raise HttpError(400, "Bad Request: JSON expected") from None
            if not isinstance(payload, dict):
                raise HttpError(400, "Bad Request: an update object expected")
            return _json_ok({"update_id": self.push(payload)})
        if name == "sent" and request.method == "GET":
            query = request.query
            try:
                chat_id, since = int(query["chat_id"]), int(query.get("since") or 0)
            except (KeyError, ValueError):
                raise HttpError(400, "Bad Request: chat_id (and since) must be integers") from None
            messages = self.api.sent.get(chat_id, [])[since:]
            return _json_ok([sent_message_json(m) for m in messages])
        if name == "calls" and request.method == "GET":
            wanted = request.query.get("method")
            calls = [c for c in self.api.calls if wanted is None or c.method == wanted]
            return _json_ok(
                [{"method": c.method, "params": c.params, "error": c.error} for c in calls]
            )
        if name == "pending" and request.method == "GET":
            return _json_ok({"pending": len(self.api.pending_updates)})
        raise HttpError(404, "Not Found: unknown control call")


def sent_message_json(message: SentMessage) -> JSONDict:
    """A sent message as the control API shows it: the Bot API form plus what tests need."""
    return {
        **message.to_dict(),
        "method": message.method,
        "parse_mode": message.parse_mode,
        "deleted": message.deleted,
        "edits": len(message.edited),
        "reply_markup": message.reply_markup,
    }


def _json_ok(result: object) -> HttpResponse:
    return HttpResponse(200, json.dumps({"ok": True, "result": result}).encode())


def _json_error(status: int, description: str) -> HttpResponse:
    body = {"ok": False, "error_code": status, "description": description}
    return HttpResponse(status, json.dumps(body).encode())


# --- command line -----------------------------------------------------------------------------
async def serve_forever(host: str, port: int, token: str | None) -> None:
    server = BotApiServer(host=host, port=port, token=token)
    await server.start()
    print(f"Bot API stand-in on {server.url}  (TELEGRAM_API_BASE_URL={server.url})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local HTTP stand-in for the Bot API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="accept only this bot token")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(args.host, args.port, args.token))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
