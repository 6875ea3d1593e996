"""What the bot says, as plain data: text, parse mode and buttons (no Telegram objects)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Button:
    """An inline button: callback data (built through `callbacks`) or a URL."""

    label: str
    data: str | None = None
    url: str | None = None

    def to_payload(self) -> dict[str, str]:
        if self.url is not None:
            return {"text": self.label, "url": self.url}
        return {"text": self.label, "data": self.data or ""}


Rows = tuple[tuple[Button, ...], ...]


def rows(*lines: Iterable[Button]) -> Rows:
    """Button rows from iterables of buttons; empty rows are dropped."""
    return tuple(tuple(line) for line in lines if line)


def chunked(buttons: Sequence[Button], width: int) -> Rows:
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes | str


@dataclass(frozen=True)
class Reply:
    """One message: `html` means the text is HTML-escaped for parse mode HTML. `keyboard` is a
    reply keyboard (rows of labels, e.g. the main menu), used only without inline buttons."""

    text: str
    buttons: Rows = ()
    html: bool = True
    keyboard: tuple[tuple[str, ...], ...] = ()
    photos: tuple[str, ...] = ()
    location: tuple[float, float] | None = None
    document: Document | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # kept as is in the payload

    def with_buttons(self, buttons: Rows) -> Reply:
        return replace(self, buttons=buttons)

    def to_payload(self) -> dict[str, Any]:
        """The outbox's stored form (also the form `bot.sending.send_payload` sends)."""
        data: dict[str, Any] = {"text": self.text}
        if self.buttons:
            data["buttons"] = [[b.to_payload() for b in row] for row in self.buttons]
        elif self.keyboard:
            data["keyboard"] = [list(row) for row in self.keyboard]
        if not self.html:
            data["html"] = False
        if self.photos:
            data["photos"] = list(self.photos)
        if self.location is not None:
            data["location"] = list(self.location)
        if self.document is not None:
            data["document"] = {
                "filename": self.document.filename,
                "content": self.document.content,
            }
        data.update(self.extra)
        return data
