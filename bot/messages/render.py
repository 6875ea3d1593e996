"""Intents rendered into replies, at delivery, in the recipient's language.

Each feature's message module registers a renderer per intent class with `renders`; the
outbox sender calls `render` with the context of the recipient.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot.i18n import Translations, Translator
from bot.messages.reply import Reply
from bot.services.basics.reference import ReferenceData
from bot.services.messaging.intents import INTENTS, Intent, from_params

T = TypeVar("T", bound=Intent)


@dataclass(frozen=True)
class RenderContext:
    """What a renderer may use besides the intent: the reader's translator and the city's
    reference data and time zone (no database: an intent carries what it needs)."""

    t: Translator
    reference: ReferenceData
    tz: ZoneInfo


Renderer = Callable[[Any, RenderContext], Reply]
RENDERERS: dict[type[Intent], Renderer] = {}


def renders(
    cls: type[T],
) -> Callable[[Callable[[T, RenderContext], Reply]], Callable[[T, RenderContext], Reply]]:
    """Register the renderer of one intent class."""

    def register(
        function: Callable[[T, RenderContext], Reply],
    ) -> Callable[[T, RenderContext], Reply]:
        if cls in RENDERERS:
            raise ValueError(f"{cls.__name__} has two renderers")
        RENDERERS[cls] = function
        return function

    return register


def load_all() -> None:
    """Import every message module, so every renderer and button family is registered."""
    import bot.messages as package

    for module in pkgutil.walk_packages(package.__path__, prefix="bot.messages."):
        importlib.import_module(module.name)


def render(value: Intent, ctx: RenderContext) -> Reply:
    renderer = RENDERERS.get(type(value))
    if renderer is None:
        load_all()
        renderer = RENDERERS.get(type(value))
    if renderer is None:
        raise LookupError(f"no renderer for intent {type(value).kind!r}")
    return renderer(value, ctx)


def unrendered() -> list[str]:
    """Intent kinds without a renderer (a test keeps this empty)."""
    load_all()
    return sorted(kind for kind, cls in INTENTS.items() if cls not in RENDERERS)


class OutboxRenderer:
    """Renders queued intents for the outbox sender: the recipient's current language first,
    then the language stored with the row, then the default."""

    def __init__(self, translations: Translations, reference: ReferenceData, tz: ZoneInfo) -> None:
        self._translations = translations
        self._reference = reference
        self._tz = tz

    def context(self, *languages: str | None) -> RenderContext:
        t = self._translations.get(self._translations.pick(*languages))
        return RenderContext(t=t, reference=self._reference, tz=self._tz)

    def payload(
        self,
        intent_kind: str | None,
        params: dict[str, Any] | None,
        payload: dict[str, Any] | None,
        *languages: str | None,
    ) -> dict[str, Any]:
        """The Bot API payload of a row: its intent rendered now, or its stored payload."""
        if intent_kind is None:
            return payload or {"text": ""}
        value = from_params(intent_kind, params or {})
        return render(value, self.context(*languages)).to_payload()
