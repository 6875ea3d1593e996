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
import email.parser
import email.policy
import itertools
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram.error import TelegramError
from telegram.request import RequestData

from bot.offline.fake_api import FakeBotAPI, JSONDict, SentMessage

log = logging.getLogger(__name__)

MAX_BODY = 60 * 1024 * 1024  # Telegram accepts uploads of up to 50 MB
LONG_POLL_MAX = 50.0  # Telegram's longest getUpdates timeout
# Form fields that are strings even when they look like JSON (e.g. a text "42" or "true").
STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "file_id",
        "title",
        "description",
        "question",
        "address",
        "emoji",
        "inline_message_id",
        "language_code",
        "business_connection_id",
        "message_effect_id",
        "photo",
        "document",
        "video",
        "audio",
        "voice",
        "animation",
        "sticker",
        "video_note",
        "thumbnail",
        "secret_token",
        "ip_address",
        "custom_title",
        "name",
        "short_description",
        "first_name",
        "last_name",
        "phone_number",
        "foursquare_id",
        "google_place_id",
        "payload",
        "currency",
        "start_parameter",
    }
)
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    411: "Length Required",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class HttpError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


@dataclass
class HttpRequest:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""
    keep_alive: bool = True

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.target).path)

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))


@dataclass
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


# --- HTTP/1.1 on asyncio streams --------------------------------------------------------------
async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """One request from a keep-alive connection; None when the client closed it."""
    line = await reader.readline()
    while line in (b"\r\n", b"\n"):  # tolerate stray blank lines between requests
        line = await reader.readline()
    if not line:
        return None
    try:
        method, target, version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    except ValueError:
        raise HttpError(400, "malformed request line") from None
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        length = int(headers.get("content-length") or 0)
        if length > MAX_BODY:
            raise HttpError(413, "request body too large")
        body = await reader.readexactly(length) if length else b""
    connection = headers.get("connection", "").lower()
    http10 = version.upper() == "HTTP/1.0"
    keep_alive = connection != "close" and (not http10 or connection == "keep-alive")
    return HttpRequest(method.upper(), target, headers, body, keep_alive)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readline()
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        total += size
        if total > MAX_BODY:
            raise HttpError(413, "request body too large")
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)  # CRLF after each chunk


def encode_response(response: HttpResponse, *, keep_alive: bool) -> bytes:
    reason = REASONS.get(response.status, "Unknown")
    headers = {
        "Content-Type": response.content_type,
        "Content-Length": str(len(response.body)),
        "Connection": "keep-alive" if keep_alive else "close",
        **response.headers,
    }
    head = f"HTTP/1.1 {response.status} {reason}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    return head.encode("latin-1") + b"\r\n" + response.body


# --- from an HTTP body to python-telegram-bot's RequestData -----------------------------------
class HttpRequestData(RequestData):
    """Parameters and uploads read back from an HTTP body, in the shape FakeBotAPI reads."""

    def __init__(self, params: JSONDict, uploads: dict[str, tuple[str, bytes, str]]) -> None:
        super().__init__([])
        self._params, self._uploads = params, uploads
        self.contains_files = bool(uploads)

    @property
    def parameters(self) -> JSONDict:
        return {name: value for name, value in self._params.items() if value is not None}

    @property
    def multipart_data(self) -> dict[str, tuple[str, bytes, str]]:  # type: ignore[override]
        return dict(self._uploads)


def _field_value(name: str, raw: str) -> object:
    """Undo `RequestData.json_parameters`: strings stay, everything else was JSON-dumped."""
    if name in STRING_FIELDS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def request_data_from_http(request: HttpRequest) -> HttpRequestData:
    """The parameters and uploaded files of a Bot API call, whatever the body's encoding."""
    content_type = request.headers.get("content-type", "")
    params: JSONDict = {name: _field_value(name, v) for name, v in request.query.items()}
    uploads: dict[str, tuple[str, bytes, str]] = {}
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" and request.body:
        try:
            data = json.loads(request.body)
        except ValueError:
            raise HttpError(400, "Bad Request: can't parse JSON") from None
        if not isinstance(data, dict):
            raise HttpError(400, "Bad Request: JSON object expected")
        params.update(data)
    elif media == "application/x-www-form-urlencoded":
        pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
        params.update((name, _field_value(name, value)) for name, value in pairs)
    elif media == "multipart/form-data":
        _read_multipart(content_type, request.body, params, uploads)
    elif request.body:
        raise HttpError(400, f"Bad Request: unsupported content type {content_type!r}")
    return HttpRequestData(params, uploads)


def _read_multipart(
    content_type: str, body: bytes, params: JSONDict, uploads: dict[str, tuple[str, bytes, str]]
) -> None:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise HttpError(400, "Bad Request: malformed multipart body")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        content = part.get_payload(decode=True)
        content = content if isinstance(content, bytes) else b""
        filename = part.get_filename()
        if filename is None:  # an ordinary field
            params[name] = _field_value(name, content.decode("utf-8"))
        else:  # part name: "photo", or what an attach://<name> in another field refers to
            uploads[name] = (filename, content, part.get_content_type())


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
