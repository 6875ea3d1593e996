"""HTTP/1.1 on asyncio streams for the offline Bot API server (keep-alive, Content-Length and
chunked bodies), and the way from an HTTP body to python-telegram-bot's RequestData."""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram.request import RequestData

from bot.offline.fake_api import JSONDict

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
# RequestData is final in python-telegram-bot's stubs; a subclass is the one way to hand a body
# that arrived over HTTP to BaseRequest.do_request in the shape the bot itself sends.
class HttpRequestData(RequestData):  # type: ignore[misc]  # see above
    """Parameters and uploads read back from an HTTP body, in the shape FakeBotAPI reads."""

    def __init__(self, params: JSONDict, uploads: dict[str, tuple[str, bytes, str]]) -> None:
        super().__init__([])
        self._params, self._uploads = params, uploads
        self.contains_files = bool(uploads)

    @property
    def parameters(self) -> JSONDict:
        return {name: value for name, value in self._params.items() if value is not None}

    @property
    # the base promises file-like values; FakeBotAPI reads bytes as well
    def multipart_data(self) -> dict[str, tuple[str, bytes, str]]:  # type: ignore[override]  # see above
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
