"""Logging for the whole process: plain or JSON lines, and a redaction filter as a safety net.

Handlers log ids (update, person, case, outbox), never message texts or contact details. The
filter below still masks anything that looks like a phone number, an e-mail address or a bot
token, in the message and in tracebacks, in case an exception text carries user input.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

from bot.config import Settings

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A leading + or 0 and at least seven digits with single separators: "+49 511 1234-567",
# "0511/168-0", "(0176) 1234567". Ids, dates, times and reference numbers (10-2026-0042) do
# not start with 0 or + and keep their digits.
PHONE = re.compile(r"(?<![\w.+/-])(?:\+|\(0|0)(?:[ /().-]{0,2}\d){6,}")
TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")
# Libraries whose INFO lines carry URLs with the bot token or per-update noise.
QUIET = ("httpx", "httpcore", "apscheduler", "telegram.ext.ExtBot")
HANDLER_NAME = "bezirksbot"


def redact(text: str) -> str:
    """Mask e-mail addresses, phone numbers and bot tokens."""
    text = TOKEN.sub("[token]", text)
    text = EMAIL.sub("[e-mail]", text)
    return PHONE.sub(_phone, text)


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "[phone]" if digits >= 7 else match.group(0)


class RedactingFilter(logging.Filter):
    """Rewrite each record's message (with its arguments) and traceback, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: log it as it is rather than lose it
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(
    settings: Settings, *, level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Install one redacting handler on the root logger (again on a second call: replaced)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if settings.log_json else logging.Formatter(PLAIN_FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return handler
