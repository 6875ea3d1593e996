"""An in-process stand-in for the Telegram Bot API, plugged into python-telegram-bot as transport.

Wire it with ``ApplicationBuilder().token("123456:TEST").request(api).get_updates_request(api)``;
the bot then runs unchanged while every call is answered, recorded and stored here.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from typing import Any

from telegram.error import TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.offline.methods import BotMethods
from bot.offline.records import (
    ApiCall,
    ApiError,
    CallbackAnswer,
    Fault,
    JSONDict,
    SentFile,
    SentMessage,
)

__all__ = [
    "ApiCall",
    "ApiError",
    "CallbackAnswer",
    "FakeBotAPI",
    "JSONDict",
    "SentFile",
    "SentMessage",
]

_DEFAULT_ERRORS = {400: "Bad Request", 403: "Forbidden", 409: "Conflict", 429: "Too Many Requests"}


class FakeBotAPI(BotMethods, BaseRequest):
    """Answer Bot API calls in memory with realistic JSON; see the module docstring for wiring."""

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
        if fault is None and self._over_rate(name):
            call.error = "Too Many Requests"
            return self._error_answer(
                ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
            )
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

    # -- flood control ---------------------------------------------------------------------
    rate_limit: float | None = None  # sends per second across all chats, as Telegram enforces
    _recent_sends: collections.deque[float] | None = None
    throttled = 0  # how many sends were answered 429 by the limit

    def limit_rate(self, per_second: float | None = 30) -> None:
        """Answer sends above `per_second` (in any one-second window) with 429 and a
        retry-after of 1 second, as Telegram does; None switches the limit off."""
        self.rate_limit = per_second
        self._recent_sends = collections.deque()
        self.throttled = 0

    def _over_rate(self, method: str) -> bool:
        if self.rate_limit is None or not method.startswith("send"):
            return False
        if self._recent_sends is None:
            self._recent_sends = collections.deque()
        now = time.monotonic()
        while self._recent_sends and self._recent_sends[0] <= now - 1.0:
            self._recent_sends.popleft()
        if len(self._recent_sends) >= self.rate_limit:
            self.throttled += 1
            return True
        self._recent_sends.append(now)
        return False

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
            Fault(method.lower(), error=ApiError(error_code, description, retry_after))
        )

    def raise_next(self, method: str, exception: TelegramError | None = None) -> None:
        """Raise `exception` (default TimedOut) from the next call of `method`."""
        self._faults.append(Fault(method.lower(), exception=exception or TimedOut()))

    def _take_fault(self, method: str) -> Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.method in ("*", method.lower()):
                return self._faults.pop(index)
        return None
