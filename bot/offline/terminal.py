"""The demo's terminal: coloured, wrapped output and a line reader that Ctrl-C can interrupt."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
import textwrap
import threading
from typing import ClassVar

from bot.offline.fake_api import JSONDict


class Screen:
    """Printing, with ANSI colours only when stdout is a terminal."""

    STYLES: ClassVar[dict[str, str]] = {
        "title": "1",
        "bot": "36",
        "button": "33",
        "notice": "35",
        "error": "31",
        "dim": "2",
        "me": "32",
    }

    def __init__(self) -> None:
        self.colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        self.width = max(40, min(shutil.get_terminal_size((100, 24)).columns, 100) - 1)

    def paint(self, text: str, style: str) -> str:
        return f"\033[{self.STYLES[style]}m{text}\033[0m" if self.colour and text else text

    def say(self, text: str = "", style: str | None = None) -> None:
        print(self.paint(text, style) if style else text, flush=True)

    def block(self, head: str, text: str, style: str) -> None:
        """Wrapped text; the first line starts with `head`, the others are indented."""
        lines: list[str] = []
        for paragraph in text.splitlines() or [""]:
            lines += textwrap.wrap(paragraph, self.width - 3) or [""]
        for index, line in enumerate(lines):
            self.say((head if index == 0 else "   ") + self.paint(line, style))


def reply_keys(markup: JSONDict | None) -> list[tuple[str, bool]]:
    """The reply-keyboard buttons of a markup as (label, asks for the location)."""
    rows = (markup or {}).get("keyboard") or []
    return [
        (b, False) if isinstance(b, str) else (b["text"], bool(b.get("request_location")))
        for row in rows
        for b in row
    ]


def typable(label: str) -> str:
    """A button label without its emoji, as one would type it after `!`."""
    return re.sub(r"[^\w .,'-]", "", label).strip()


async def read_line(prompt: str) -> str:
    """input() in a daemon thread: Ctrl-C must not wait for a blocked read at exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(result: str, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def worker() -> None:
        try:
            loop.call_soon_threadsafe(settle, input(prompt), None)
        except BaseException as exc:  # EOFError, KeyboardInterrupt: handed to the loop
            loop.call_soon_threadsafe(settle, "", exc)

    threading.Thread(target=worker, name="demo-input", daemon=True).start()
    return await future
